package dev.spanlinks.streams.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceId;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchIdsTest {

  @Test
  void shouldDeriveValidStableIds() {
    BatchIds ids = new BatchIds("app", "eu", 1_768_471_200_000L, 0);
    assertThat(TraceId.isValid(ids.traceId())).isTrue();
    assertThat(SpanId.isValid(ids.spanId(0))).isTrue();
    assertThat(new BatchIds("app", "eu", 1_768_471_200_000L, 0).traceId()).isEqualTo(ids.traceId());
  }

  @Test
  void shouldGiveDifferentIdsToEveryInputThatDiffers() {
    Set<String> traceIds = new HashSet<>();
    traceIds.add(new BatchIds("app", "eu", 0L, 0).traceId());
    traceIds.add(new BatchIds("app2", "eu", 0L, 0).traceId());
    traceIds.add(new BatchIds("app", "eu2", 0L, 0).traceId());
    traceIds.add(new BatchIds("app", "eu", 3_600_000L, 0).traceId());
    // Concatenation must not collide: ("ab", "c") vs ("a", "bc").
    traceIds.add(new BatchIds("ab", "c", 0L, 0).traceId());
    traceIds.add(new BatchIds("a", "bc", 0L, 0).traceId());
    // One key's orders on two partitions (another partitioner, added partitions): two batches.
    traceIds.add(new BatchIds("app", "eu", 0L, 1).traceId());
    assertThat(traceIds).hasSize(7);

    BatchIds ids = new BatchIds("app", "eu", 0L, 0);
    assertThat(Set.of(ids.spanId(0), ids.spanId(1), ids.spanId(2))).hasSize(3);
  }
}
