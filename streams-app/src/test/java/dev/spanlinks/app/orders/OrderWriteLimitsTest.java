package dev.spanlinks.app.orders;

import static dev.spanlinks.app.orders.TestOrder.traced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.BatchedRecord;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The orders' side of the write limits: the bound of an order's JSON, and the batch record's. */
class OrderWriteLimitsTest {
  @TempDir Path stateDir;

  @Test
  void shouldBoundTheJsonOfTheLargestOrderThereIs() {
    String widest = "\u0001".repeat(OrderJson.MAX_ID_LENGTH); // six bytes each, escaped
    Order largest =
        new Order(
            widest,
            widest,
            widest,
            new BigDecimal("999999999999999.999999999"),
            "EUR",
            Instant.ofEpochMilli(Long.MAX_VALUE));
    assertThat(OrderJson.toJson(largest).length)
        .isLessThanOrEqualTo(BatchedRecord.COPY_VALUE_MAX_BYTES);
  }

  @Test
  void shouldSendABatchWithoutItsTotalsWhenTheyWouldPassTheRecordLimit() {
    try (TopologyFixture fixture =
        new TopologyFixture(
            stateDir,
            Map.of(BatchConfig.RECORD_MAX_BYTES_CONFIG, BatchConfig.MIN_RECORD_MAX_BYTES))) {
      int currencies = 0;
      for (char a = 'A'; a <= 'Z'; a++) {
        for (char b = 'A'; b <= 'Z'; b++) {
          for (char c = 'A'; c <= 'Z'; c++) {
            TestRecord<String, byte[]> order =
                traced(++currencies)
                    .amount("123456789012345.123456789", "" + a + b + c)
                    .at("2026-01-15T10:10:00Z")
                    .toRecord();
            fixture.send(order);
          }
        }
      }
      fixture.send(traced(0).at("2026-01-15T11:30:00Z"));

      OrderBatch batch = fixture.batches.readValue();
      assertThat(batch.orderCount()).isEqualTo(currencies);
      assertThat(batch.totals()).as("17,576 totals of 25 digits would pass 256 KiB").isEmpty();
      long omitted =
          fixture.metrics.collectAllMetrics().stream()
              .filter(m -> m.getName().equals("spanlinks.store.failures"))
              .flatMap(m -> m.getLongSumData().getPoints().stream())
              .filter(
                  p ->
                      "totals_omitted"
                          .equals(
                              p.getAttributes()
                                  .get(
                                      io.opentelemetry.api.common.AttributeKey.stringKey(
                                          "reason"))))
              .mapToLong(LongPointData::getValue)
              .sum();
      assertThat(omitted).isEqualTo(1);
    }
  }
}
