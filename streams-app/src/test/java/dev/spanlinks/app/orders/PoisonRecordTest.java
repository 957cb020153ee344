package dev.spanlinks.app.orders;

import static dev.spanlinks.app.orders.TestOrder.traced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.DeadLetterHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single records that each stopped spanlinks for good (issue #22): each now ends in the
 * dead-letter topic with its reason, before anything is written for it, and the orders around it
 * are batched as ever. {@code PoisonRecordPropertiesTest} generates the records nobody thought of.
 */
class PoisonRecordTest {
  @TempDir Path stateDir;

  @Test
  void shouldDeadLetterAnAmountWhoseExponentOverflowsInt() {
    try (TopologyFixture fixture = new TopologyFixture(stateDir)) {
      fixture.send(traced(1).at("2026-01-15T10:10:00Z"));
      fixture.send(traced(2).amount("1E+2147483647", "EUR").at("2026-01-15T10:11:00Z"));
      fixture.send(traced(3).amount("0E+2147483647", "EUR").at("2026-01-15T10:12:00Z"));
      fixture.send(traced(4).at("2026-01-15T11:30:00Z"));

      assertThat(reasons(fixture.deadLetters))
          .containsExactly("amount must have at most 15 digits before the point");
      OrderBatch batch = fixture.batches.readValue();
      assertThat(batch.orderCount()).as("order 1 and the zero of order 3").isEqualTo(2);
    }
  }

  @Test
  void shouldDeadLetterBatchKeysPastTheLimitWhenRead() {
    try (TopologyFixture fixture = new TopologyFixture(stateDir)) {
      String huge = "k".repeat(600_000);
      String controls = "\u0001".repeat(120_000);
      String atLimit = "\u00e9".repeat(512); // 1,024 bytes of UTF-8: still a batch key
      fixture.send(traced(1).at("2026-01-15T10:10:00Z"));
      fixture.send(traced(2).key(huge).at("2026-01-15T10:11:00Z"));
      fixture.send(traced(3).key(controls).at("2026-01-15T10:12:00Z"));
      fixture.send(traced(4).key(atLimit).at("2026-01-15T10:13:00Z"));
      fixture.send(traced(5).at("2026-01-15T11:30:00Z"));

      assertThat(reasons(fixture.deadLetters))
          .containsExactly(
              "the batch key is 600000 bytes of UTF-8, more than spanlinks.batch.key.max.bytes"
                  + " (1024)",
              "the batch key is 120000 bytes of UTF-8, more than spanlinks.batch.key.max.bytes"
                  + " (1024)");
      assertThat(fixture.batches.readValuesToList())
          .extracting(OrderBatch::batchKey, OrderBatch::orderCount)
          .containsExactlyInAnyOrder(
              org.assertj.core.groups.Tuple.tuple("eu", 1L),
              org.assertj.core.groups.Tuple.tuple(atLimit, 1L));
    }
  }

  @Test
  void shouldDeadLetterAFarFutureOrderBeforeTheRepartitionWritesIt() {
    Map<String, Object> repartition = Map.of("spanlinks.repartition.by.key", "true");
    try (TopologyFixture fixture = new TopologyFixture(stateDir, repartition)) {
      fixture.send(traced(1).at(TopologyFixture.WALL_CLOCK_START.minusSeconds(600)));
      fixture.send(traced(2).at(TopologyFixture.WALL_CLOCK_START.plusSeconds(7_200)));

      assertThat(reasons(fixture.deadLetters))
          .containsExactly("event time is more than 3600000 ms ahead of the clock");
      TestOutputTopic<byte[], byte[]> repartitioned =
          fixture.driver.createOutputTopic(
              TopologyFixture.APPLICATION_ID + "-orders-by-key-repartition",
              new ByteArrayDeserializer(),
              new ByteArrayDeserializer());
      assertThat(repartitioned.readValuesToList())
          .as("only the ordinary order reaches the repartition topic")
          .hasSize(1);
    }
  }

  @Test
  void shouldDeadLetterAnOrderWhoseHeadersLeaveNoRoomForItsLateCopy() {
    try (TopologyFixture fixture =
        new TopologyFixture(stateDir, Map.of("spanlinks.record.max.bytes", "262144"))) {
      TestRecord<String, byte[]> order = traced(1).at("2026-01-15T10:10:00Z").toRecord();
      order.headers().add("x-blob", new byte[300_000]);
      fixture.send(order);
      fixture.send(traced(2).at("2026-01-15T11:30:00Z"));

      List<TestRecord<byte[], byte[]>> deadLetters = fixture.deadLetters.readRecordsToList();
      assertThat(deadLetters).hasSize(1);
      assertThat(
              InputHandlingTest.header(
                  deadLetters.get(0).headers(), DeadLetterHandler.HEADER_MESSAGE))
          .startsWith("the record's headers take 300");
      // The dead letter itself fits: the headers that made it too large are cut, the reason stays.
      assertThat(
              recordBytes(
                  deadLetters.get(0).key(),
                  deadLetters.get(0).value(),
                  deadLetters.get(0).headers()))
          .isLessThanOrEqualTo(262_144);
      assertThat(
              InputHandlingTest.header(
                  deadLetters.get(0).headers(), DeadLetterHandler.HEADER_TRUNCATED))
          .isEqualTo("headers=2");
    }
  }

  private static List<String> reasons(TestOutputTopic<byte[], byte[]> deadLetters) {
    return deadLetters.readRecordsToList().stream()
        .map(r -> InputHandlingTest.header(r.headers(), DeadLetterHandler.HEADER_MESSAGE))
        .toList();
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** An upper bound of a record's bytes in a batch: 128 of framing, key, value, headers. */
  private static long recordBytes(byte[] key, byte[] value, Headers headers) {
    long bytes = 128L + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
    for (Header header : headers) {
      bytes +=
          10
              + header.key().getBytes(StandardCharsets.UTF_8).length
              + (header.value() == null ? 0 : header.value().length);
    }
    return bytes;
  }
}
