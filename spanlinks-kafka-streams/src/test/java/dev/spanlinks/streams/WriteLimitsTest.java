package dev.spanlinks.streams;

import static dev.spanlinks.streams.TestOrder.traced;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spanlinks.streams.model.Order;
import dev.spanlinks.streams.model.OrderBatch;
import dev.spanlinks.streams.model.internals.OrderJson;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The write limits: the bounds they rest on, the edge check, and the batch record's own check. */
class WriteLimitsTest {
  private static final WriteLimits DEFAULTS =
      new WriteLimits(1024, BatchConfig.DEFAULT_RECORD_MAX_BYTES, 3_600_000, Long.MAX_VALUE);

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
        .isLessThanOrEqualTo(WriteLimits.ORDER_JSON_MAX_BYTES);
  }

  @Test
  void shouldCountUtf8LikeTheEncoder() {
    Random random = new Random(22);
    for (int i = 0; i < 10_000; i++) {
      StringBuilder text = new StringBuilder();
      for (int c = random.nextInt(20); c > 0; c--) {
        text.append((char) random.nextInt(Character.MAX_VALUE + 1)); // lone surrogates included
      }
      String sample = text.toString();
      assertThat(WriteLimits.utf8Length(sample))
          .as("%s", sample.chars().boxed().toList())
          .isEqualTo(sample.getBytes(StandardCharsets.UTF_8).length);
    }
  }

  @Test
  void shouldRefuseWhatWouldNotFitAndTakeWhatWould() {
    long now = 1_800_000_000_000L;
    RecordHeaders none = new RecordHeaders();
    DEFAULTS.admit("k".repeat(1024), now + 3_600_000, none, now);
    assertThatThrownBy(() -> DEFAULTS.admit("k".repeat(1025), now, none, now))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("1025 bytes");
    assertThatThrownBy(() -> DEFAULTS.admit("\u00e9".repeat(513), now, none, now))
        .hasMessageContaining("1026 bytes");
    assertThatThrownBy(() -> DEFAULTS.admit("k", now + 3_600_001, none, now))
        .hasMessage("event time is more than 3600000 ms ahead of the clock");
    WriteLimits week = new WriteLimits(1024, 1 << 20, 3_600_000, 7 * 86_400_000L);
    week.admit("k", now - 7 * 86_400_000L, none, now);
    assertThatThrownBy(() -> week.admit("k", now - 7 * 86_400_000L - 1, none, now))
        .hasMessageContaining("behind the clock");
    RecordHeaders heavy = new RecordHeaders();
    heavy.add("x-blob", new byte[(1 << 20) - 7_000]);
    DEFAULTS.admit("k", now, heavy, now); // the copies still fit
    heavy.add("x-more", new byte[1_000]);
    assertThatThrownBy(() -> DEFAULTS.admit("k", now, heavy, now))
        .hasMessageStartingWith("the record's headers take");
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
