package dev.spanlinks.app.orders;

import static dev.spanlinks.app.orders.TestOrder.traced;
import static dev.spanlinks.streams.trace.MessagingConventions.OLD_OFFSET;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_DESTINATION_PARTITION_ID;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code spanlinks.repartition.by.key} the orders pass through a repartition topic, and the
 * batches, links and late records come out as without it: links still name each order's own record
 * in the orders topic, and the position headers never leave the topology.
 */
class RepartitionByKeyTest {
  @TempDir Path stateDir;

  @Test
  void shouldBatchAsWithoutTheRepartitionAndLinkTheOrdersOwnRecords() {
    try (TopologyFixture fixture =
        new TopologyFixture(stateDir, Map.of(BatchConfig.REPARTITION_BY_KEY_CONFIG, true))) {
      fixture.send(traced(1).at("2026-01-15T10:05:00Z"));
      // A producer's own "position" headers must not be believed.
      TestRecord<String, byte[]> spoofed = traced(2).at("2026-01-15T10:30:00Z").toRecord();
      spoofed.headers().add("spanlinks.source.offset", new byte[] {0, 0, 0, 0, 0, 0, 0, 42});
      spoofed.headers().add("spanlinks.source.partition", new byte[] {0, 0, 0, 9});
      fixture.send(spoofed);
      fixture.send(traced(3).at("2026-01-15T11:10:00Z")); // closes 10:00
      fixture.send(traced(4).at("2026-01-15T10:40:00Z")); // late

      List<OrderBatch> batches = fixture.batches.readValuesToList();
      assertThat(batches).singleElement().extracting(OrderBatch::orderCount).isEqualTo(2L);
      SpanData batch =
          fixture.finishedSpans().stream()
              .filter(span -> span.getName().equals(SpanlinksAttributes.BATCH_SPAN_NAME))
              .findFirst()
              .orElseThrow();
      assertThat(batch.getLinks())
          .extracting(link -> link.getAttributes().get(OLD_OFFSET))
          .containsExactly(0L, 1L);
      assertThat(batch.getLinks())
          .extracting(LinkData::getAttributes)
          .allSatisfy(
              attributes ->
                  assertThat(attributes.get(MESSAGING_DESTINATION_PARTITION_ID)).isEqualTo("0"));

      TestRecord<String, String> late = fixture.late.readRecord();
      assertThat(late.headers().lastHeader("spanlinks.source.offset")).isNull();
      assertThat(late.headers().lastHeader("spanlinks.source.partition")).isNull();
      assertThat(late.headers().lastHeader("traceparent")).isNotNull();
    }
  }
}
