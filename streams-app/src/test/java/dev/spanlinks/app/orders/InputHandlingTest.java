package dev.spanlinks.app.orders;

import static dev.spanlinks.app.orders.OrdersTopologyTest.linkIds;
import static dev.spanlinks.app.orders.TestOrder.traced;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.DeadLetterHandler;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad, late and repeated input: each order ends in exactly one place, and nothing is lost. */
class InputHandlingTest {
  private static final Instant TEN_FIFTEEN = Instant.parse("2026-01-15T10:15:00Z");

  @TempDir Path stateDir;

  @Test
  void shouldDeadLetterInvalidValuesWithReasonAndOriginalHeaders() {
    try (TopologyFixture fixture = new TopologyFixture(stateDir)) {
      Map<String, String> invalid =
          Map.of(
              "not json at all", "value is not valid JSON",
              "[1,2,3]", "value is not a JSON object",
              "{\"amount\":1,\"currency\":\"EUR\"}", "orderId is missing",
              "{\"orderId\":\"x\",\"amount\":\"ten\",\"currency\":\"EUR\"}",
                  "amount must be a JSON number",
              "{\"orderId\":\"x\",\"amount\":-1,\"currency\":\"EUR\"}",
                  "amount must not be negative",
              "{\"orderId\":\"x\",\"amount\":1,\"currency\":\"euro\"}",
                  "currency must be three upper-case letters");
      TestOrder first = traced(1);
      fixture.send(first);
      for (String value : invalid.keySet()) {
        fixture.send(withOrigin("eu", value.getBytes(StandardCharsets.UTF_8)));
      }
      fixture.send(withOrigin("eu", null));
      fixture.send(withOrigin(null, traced(7).json().getBytes(StandardCharsets.UTF_8)));
      TestOrder second = traced(2);
      fixture.send(second);
      fixture.send(traced(3).at("2026-01-15T12:00:00Z"));

      List<TestRecord<byte[], byte[]>> deadLetters = fixture.deadLetters.readRecordsToList();
      assertThat(deadLetters).hasSize(invalid.size() + 2);
      for (TestRecord<byte[], byte[]> deadLetter : deadLetters) {
        assertThat(header(deadLetter.headers(), "x-origin")).isEqualTo("checkout");
        assertThat(header(deadLetter.headers(), "traceparent")).startsWith("00-");
        assertThat(header(deadLetter.headers(), DeadLetterHandler.HEADER_TOPIC))
            .isEqualTo("orders");
        assertThat(header(deadLetter.headers(), DeadLetterHandler.HEADER_OFFSET)).isNotBlank();
      }
      assertThat(deadLetters)
          .extracting(r -> header(r.headers(), DeadLetterHandler.HEADER_MESSAGE))
          .containsAll(invalid.values())
          .contains("value is null (tombstone)", "key (batch key) is null");
      assertThat(deadLetters)
          .extracting(r -> r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8))
          .as("original values, byte for byte")
          .containsAll(invalid.keySet());

      OrderBatch batch = fixture.batches.readValue();
      assertThat(batch.orderCount()).isEqualTo(2);
      assertThat(orderCount(fixture, "dead_lettered")).isEqualTo(invalid.size() + 2);
      assertThat(orderCount(fixture, "batched")).isEqualTo(2);
      assertThat(linkIds(fixture.finishedSpans().get(0)))
          .containsExactlyInAnyOrder(
              first.traceId() + "/" + first.spanId(), second.traceId() + "/" + second.spanId());
    }
  }

  /**
   * A record its deserializers refuse is dead-lettered where Kafka Streams counts it as processed
   * ({@code admit-order}), never by Kafka Streams' deserialization handler: that path skips the
   * record, and under exactly-once a rebalance before the next record of its partition is processed
   * writes its dead letter twice. The handler here fails on any record it is given. The refused
   * record's own timestamp, hours ahead of the orders, moves no window.
   */
  @Test
  void shouldDeadLetterRefusedRecordsAsProcessedRecordsWithoutMovingStreamTime() {
    try (TopologyFixture fixture =
        new TopologyFixture(
            stateDir,
            Map.of(
                StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                LogAndFailExceptionHandler.class.getName()))) {
      Instant stamped = Instant.parse("2026-01-15T13:30:00Z");
      fixture.send(traced(1).at("2026-01-15T10:15:00Z"));
      TestRecord<String, byte[]> notJson = withOrigin("eu", "{not json".getBytes(UTF_8));
      fixture.send(new TestRecord<>(notJson.key(), notJson.value(), notJson.headers(), stamped));
      TestRecord<String, byte[]> noKey = withOrigin(null, traced(5).json().getBytes(UTF_8));
      fixture.send(new TestRecord<>(noKey.key(), noKey.value(), noKey.headers(), stamped));
      fixture.send(traced(2).at("2026-01-15T10:45:00Z"));
      fixture.send(traced(3).at("2026-01-15T12:00:00Z")); // closes 10:00-11:00

      List<TestRecord<byte[], byte[]>> deadLetters = fixture.deadLetters.readRecordsToList();
      assertThat(deadLetters)
          .extracting(r -> header(r.headers(), DeadLetterHandler.HEADER_MESSAGE))
          .containsExactly("value is not valid JSON", "key (batch key) is null");
      for (TestRecord<byte[], byte[]> deadLetter : deadLetters) {
        assertThat(header(deadLetter.headers(), DeadLetterHandler.HEADER_TIMESTAMP))
            .isEqualTo(Long.toString(stamped.toEpochMilli()));
        assertThat(deadLetter.headers().toArray())
            .extracting(Header::key)
            .startsWith("x-origin", "traceparent")
            .noneMatch(key -> key.startsWith("spanlinks.rejected."));
      }
      assertThat(fixture.batches.readValuesToList())
          .singleElement()
          .satisfies(batch -> assertThat(batch.orderCount()).isEqualTo(2));
      assertThat(fixture.late.isEmpty()).as("no order was late").isTrue();
      assertThat(orderCount(fixture, "dead_lettered")).isEqualTo(2);
    }
  }

  @Test
  void shouldRouteLateOrderToLateTopicAndIntoNoBatch() {
    try (TopologyFixture fixture = new TopologyFixture(stateDir)) {
      fixture.send(traced(1).at("2026-01-15T10:15:00Z"));
      fixture.send(traced(2).at("2026-01-15T11:04:00Z"));
      TestOrder withinGrace = traced(3).at("2026-01-15T10:59:00Z");
      fixture.send(withinGrace);
      fixture.send(traced(4).at("2026-01-15T11:05:00Z")); // closes 10:00-11:00
      TestOrder late = traced(5).at("2026-01-15T10:30:00Z");
      fixture.send(late);
      fixture.send(traced(6).at("2026-01-15T12:05:00Z")); // closes 11:00-12:00

      List<TestRecord<String, String>> lateRecords = fixture.late.readRecordsToList();
      assertThat(lateRecords).hasSize(1);
      assertThat(lateRecords.get(0).key()).isEqualTo("eu");
      assertThat(lateRecords.get(0).value()).contains("\"orderId\":\"order-5\"");
      assertThat(header(lateRecords.get(0).headers(), "traceparent"))
          .isEqualTo("00-" + late.traceId() + "-" + late.spanId() + "-01");

      List<SpanData> spans = fixture.finishedSpans();
      assertThat(spans).hasSize(2);
      assertThat(linkIds(spans.get(0)))
          .containsExactlyInAnyOrder(
              traced(1).traceId() + "/" + traced(1).spanId(),
              withinGrace.traceId() + "/" + withinGrace.spanId());
      assertThat(linkIds(spans.get(1)))
          .containsExactlyInAnyOrder(
              traced(2).traceId() + "/" + traced(2).spanId(),
              traced(4).traceId() + "/" + traced(4).spanId());
      assertThat(orderCount(fixture, "late")).isEqualTo(1);
      assertThat(orderCount(fixture, "batched")).isEqualTo(4);
    }
  }

  @Test
  void shouldCloseWindowOnWallClockWhenTaskIsIdle() {
    try (TopologyFixture fixture =
        new TopologyFixture(stateDir, Map.of(BatchConfig.IDLE_CLOSE_MS_CONFIG, 60_000L))) {
      // The last window before the test driver's wall clock starts: [23:00, 00:00).
      Instant tenToMidnight = TopologyFixture.WALL_CLOCK_START.minusSeconds(600);
      fixture.send(traced(1).at(tenToMidnight));
      fixture.send(traced(2).at(tenToMidnight.plusSeconds(60)));

      fixture.advanceWallClock(java.time.Duration.ofMinutes(2));
      assertThat(fixture.finishedSpans()).as("idle, but 00:02 < end + grace").isEmpty();

      fixture.advanceWallClock(java.time.Duration.ofMinutes(3));
      assertThat(fixture.finishedSpans()).hasSize(1);
      assertThat(fixture.batches.readValue().orderCount()).isEqualTo(2);
    }
  }

  @Test
  void shouldKeepEmptyPastWindowsOpenWhenAnIdleTaskClosesOnWallClock() {
    try (TopologyFixture fixture =
        new TopologyFixture(stateDir, Map.of(BatchConfig.IDLE_CLOSE_MS_CONFIG, 60_000L))) {
      // Started before any input: idle closes pass over hours that hold no order.
      fixture.advanceWallClock(java.time.Duration.ofMinutes(5));
      // A replayed topic's orders of weeks ago then arrive: their windows are still open.
      fixture.send(traced(1).at(TEN_FIFTEEN));
      fixture.advanceWallClock(java.time.Duration.ofMinutes(5));
      assertThat(fixture.late.isEmpty()).as("an hour no one closed is not late").isTrue();
      assertThat(fixture.batches.readValue().orderCount()).isEqualTo(1);

      // The hour the idle close did emit is closed for good: one more order for it is late.
      fixture.send(traced(2).at(TEN_FIFTEEN.plusSeconds(60)));
      assertThat(fixture.late.readValue()).isNotNull();
      // A later hour, empty when the idle close passed it, still takes orders.
      fixture.send(traced(3).at(TEN_FIFTEEN.plus(java.time.Duration.ofHours(3))));
      fixture.advanceWallClock(java.time.Duration.ofMinutes(5));
      assertThat(fixture.late.isEmpty()).isTrue();
      assertThat(fixture.batches.readValue().orderCount()).isEqualTo(1);
    }
  }

  @Test
  void shouldNotCloseOnWallClockWhileInputFlows() {
    try (TopologyFixture fixture =
        new TopologyFixture(stateDir, Map.of(BatchConfig.IDLE_CLOSE_MS_CONFIG, 60_000L))) {
      // Replayed history: event times weeks behind the wall clock, arriving steadily.
      for (int minute = 0; minute < 5; minute++) {
        fixture.send(traced(minute).at(TEN_FIFTEEN.plusSeconds(60L * minute)));
        fixture.advanceWallClock(java.time.Duration.ofSeconds(30));
      }
      assertThat(fixture.finishedSpans()).isEmpty();
    }
  }

  @Test
  void shouldCountTheSameOrderOnce() {
    try (TopologyFixture fixture = new TopologyFixture(stateDir)) {
      TestOrder order = traced(1);
      fixture.send(order);
      fixture.send(order);
      fixture.send(order);
      fixture.send(traced(2));
      fixture.send(traced(3).at("2026-01-15T12:00:00Z"));

      OrderBatch batch = fixture.batches.readValue();
      assertThat(batch.orderCount()).isEqualTo(2);
      assertThat(batch.duplicateCount()).isEqualTo(2);
      assertThat(batch.totals()).containsEntry("EUR", new java.math.BigDecimal("25.00"));
      SpanData span = fixture.finishedSpans().get(0);
      assertThat(linkIds(span)).hasSize(2).doesNotHaveDuplicates();
      assertThat(span.getAttributes().get(AttributeKey.longKey("spanlinks.orders.duplicate")))
          .isEqualTo(2L);
      // Every record read ends in exactly one outcome: 2 batched + 2 duplicates (the third order
      // is still in its open window).
      assertThat(orderCount(fixture, "batched")).isEqualTo(2);
      assertThat(orderCount(fixture, "duplicate")).isEqualTo(2);
    }
  }

  private static TestRecord<String, byte[]> withOrigin(String key, byte[] value) {
    Headers headers = new RecordHeaders();
    headers.add("x-origin", "checkout".getBytes(StandardCharsets.UTF_8));
    headers.add(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".getBytes(StandardCharsets.UTF_8));
    return new TestRecord<>(key, value, headers, TEN_FIFTEEN);
  }

  static String header(Headers headers, String key) {
    Header header = headers.lastHeader(key);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static long orderCount(TopologyFixture fixture, String outcome) {
    return fixture.metrics.collectAllMetrics().stream()
        .filter(m -> m.getName().equals("spanlinks.orders"))
        .map(MetricData::getLongSumData)
        .flatMap(sum -> sum.getPoints().stream())
        .filter(
            p -> outcome.equals(p.getAttributes().get(AttributeKey.stringKey("spanlinks.outcome"))))
        .mapToLong(LongPointData::getValue)
        .sum();
  }
}
