package dev.spanlinks.app.orders;

import static dev.spanlinks.app.orders.TestOrder.traced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.state.Contribution;
import dev.spanlinks.streams.state.ContributionStore;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stored value that cannot be summarised or read must not fail the close: it would fail it again
 * on every restart and on every instance that takes the task. Older versions stored amounts such as
 * {@code 1e999999999} that the edge now refuses.
 */
class StoredStateFailureTest {
  @TempDir Path stateDir;

  private static final long WINDOW = Instant.parse("2026-01-15T10:00:00Z").toEpochMilli();

  @Test
  void shouldCloseTheBatchAndCountAStoredAmountThatCannotBeSummed() {
    try (TopologyFixture fixture = new TopologyFixture(stateDir)) {
      fixture.send(traced(1).at("2026-01-15T10:20:00Z"));
      store(fixture)
          .put(
              ContributionStore.blockKey(
                  new ContributionStore.BatchWindow(WINDOW, "eu"), 1_000_000L),
              ContributionStore.newBlock(
                  ContributionStore.encodeEntry(
                      new Contribution(
                          "poisoned",
                          WINDOW + 60_000,
                          0,
                          7,
                          new BigDecimal("1e999999999"),
                          "EUR",
                          SpanContext.getInvalid(),
                          0),
                      WINDOW)));
      fixture.send(traced(2).at("2026-01-15T11:30:00Z"));

      OrderBatch batch = fixture.batches.readValue();
      assertThat(batch.orderCount()).isEqualTo(2);
      assertThat(batch.totals()).containsEntry("EUR", new BigDecimal("12.50"));
      assertThat(storeFailures(fixture, "amount_out_of_range")).isEqualTo(1);
    }
  }

  @Test
  void shouldCloseTheBatchAndCountABlockThatCannotBeRead() {
    try (TopologyFixture fixture = new TopologyFixture(stateDir)) {
      fixture.send(traced(1).at("2026-01-15T10:20:00Z"));
      store(fixture)
          .put(
              ContributionStore.blockKey(
                  new ContributionStore.BatchWindow(WINDOW, "eu"), 1_000_000L),
              new byte[] {9, 1, 2, 3});
      fixture.send(traced(2).at("2026-01-15T11:30:00Z"));

      OrderBatch batch = fixture.batches.readValue();
      assertThat(batch.orderCount()).isEqualTo(1);
      assertThat(batch.linkedCount()).isEqualTo(1);
      assertThat(storeFailures(fixture, "unreadable_block")).isEqualTo(1);
    }
  }

  @Test
  void shouldCloseABatchOfNoReadableOrderAtAValidTimestamp() {
    try (TopologyFixture fixture = new TopologyFixture(stateDir)) {
      fixture.send(traced(1).key("us").at("2026-01-15T10:20:00Z"));
      store(fixture)
          .put(
              ContributionStore.blockKey(
                  new ContributionStore.BatchWindow(WINDOW, "eu"), 1_000_000L),
              new byte[] {9, 1, 2, 3});
      fixture.send(traced(2).key("us").at("2026-01-15T11:30:00Z"));

      var unreadable =
          fixture.batches.readRecordsToList().stream()
              .filter(record -> record.key().equals("eu"))
              .toList();
      assertThat(unreadable).hasSize(1);
      assertThat(unreadable.get(0).value().orderCount()).isZero();
      assertThat(unreadable.get(0).getRecordTime())
          .as("the window start, not Long.MIN_VALUE, which no producer takes")
          .isEqualTo(Instant.ofEpochMilli(WINDOW));
      assertThat(storeFailures(fixture, "unreadable_block")).isEqualTo(1);
    }
  }

  private static KeyValueStore<Bytes, byte[]> store(TopologyFixture fixture) {
    return fixture.driver.getKeyValueStore("batch-contributions");
  }

  private static long storeFailures(TopologyFixture fixture, String reason) {
    List<MetricData> metrics = List.copyOf(fixture.metrics.collectAllMetrics());
    return metrics.stream()
        .filter(metric -> metric.getName().equals("spanlinks.store.failures"))
        .flatMap(metric -> metric.getLongSumData().getPoints().stream())
        .filter(point -> reason.equals(point.getAttributes().get(REASON)))
        .mapToLong(LongPointData::getValue)
        .sum();
  }

  private static final io.opentelemetry.api.common.AttributeKey<String> REASON =
      io.opentelemetry.api.common.AttributeKey.stringKey("reason");
}
