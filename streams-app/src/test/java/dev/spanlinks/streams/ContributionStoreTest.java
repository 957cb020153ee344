package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.model.Contribution;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;

class ContributionStoreTest {

  @Test
  void shouldRoundTripKeys() {
    ContributionStore.Key key = new ContributionStore.Key(1_768_471_200_000L, "eu-west", "o-é-1");
    assertThat(ContributionStore.decodeKey(ContributionStore.key(key))).isEqualTo(key);
  }

  @Test
  void shouldSortKeysByWindowThenBatchKeyAndKeepEachBatchContiguous() {
    List<ContributionStore.Key> keys =
        List.of(
            new ContributionStore.Key(-3_600_000L, "eu", "a"),
            new ContributionStore.Key(0L, "eu", "a"),
            new ContributionStore.Key(0L, "eu", "b"),
            new ContributionStore.Key(0L, "eux", "a"),
            new ContributionStore.Key(3_600_000L, "a", "z"));
    List<Bytes> encoded = new ArrayList<>(keys.stream().map(ContributionStore::key).toList());
    List<Bytes> sorted = new ArrayList<>(encoded);
    sorted.sort(Bytes::compareTo);
    assertThat(sorted).isEqualTo(encoded);
  }

  @Test
  void shouldPlaceWindowPrefixBeforeItsEntriesAndAfterEarlierWindows() {
    Bytes prefix = ContributionStore.windowPrefix(3_600_000L);
    Bytes earlier = ContributionStore.key(new ContributionStore.Key(0L, "zzz", "zzz"));
    Bytes same = ContributionStore.key(new ContributionStore.Key(3_600_000L, "", ""));
    assertThat(earlier.compareTo(prefix)).isNegative();
    assertThat(same.compareTo(prefix)).isPositive();
  }

  @Test
  void shouldRoundTripLinkedContributionWithFlagsAndTraceState() {
    TraceState state =
        TraceState.builder().put("rojo", "00f067aa0ba902b7").put("congo", "t61").build();
    SpanContext context =
        SpanContext.createFromRemoteParent(
            "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", TraceFlags.getDefault(), state);
    Contribution contribution =
        new Contribution("o-1", 42L, 3, 9_000_000_000L, new BigDecimal("12.50"), "EUR", context, 2);

    Contribution decoded =
        ContributionStore.decodeValue("o-1", ContributionStore.encodeValue(contribution));

    assertThat(decoded).isEqualTo(contribution);
    assertThat(decoded.spanContext().getTraceState().asMap()).isEqualTo(state.asMap());
    assertThat(decoded.amount().scale()).isEqualTo(2);
  }

  @Test
  void shouldRoundTripUnlinkedContributionCompactly() {
    Contribution contribution =
        new Contribution("o-2", 1L, 0, 0L, BigDecimal.ONE, "USD", SpanContext.getInvalid(), 0);
    byte[] value = ContributionStore.encodeValue(contribution);
    assertThat(ContributionStore.decodeValue("o-2", value)).isEqualTo(contribution);
    assertThat(value.length).isLessThan(40);
  }
}
