package dev.spanlinks.app.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import io.opentelemetry.sdk.trace.data.LinkData;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Topics that are not spanlinks' orders ({@code spanlinks.input.format}): JSON of another shape
 * read through JSON pointers, and values never read at all. Random records are compared with a
 * model of the batches they must make: per (batch key, hour), the distinct record ids, their sum,
 * and every traced record linked exactly once.
 */
class InputFormatTopologyTest {
  private static final Instant HOUR_10 = Instant.parse("2026-01-15T10:00:00Z");
  private static final long HOUR = 3_600_000L;

  @TempDir Path stateDir;

  @Test
  void shouldBatchJsonOfAnotherShapeThroughPointers() {
    Map<String, Object> settings =
        Map.of(
            BatchConfig.INPUT_FORMAT_CONFIG, "json",
            BatchConfig.JSON_ID_POINTER_CONFIG, "/event/id",
            BatchConfig.JSON_EVENT_TIME_POINTER_CONFIG, "/event/at",
            BatchConfig.JSON_BATCH_KEY_POINTER_CONFIG, "/customer/region",
            BatchConfig.JSON_SUM_POINTER_CONFIG, "/payment/total");
    for (long seed = 1; seed <= 5; seed++) {
      Random random = new Random(seed);
      Map<String, Expected> expected = new TreeMap<>();
      List<String> tracedIds = new ArrayList<>();
      try (TopologyFixture fixture =
          new TopologyFixture(stateDir.resolve("json-" + seed), settings)) {
        for (int n = 0; n < 300; n++) {
          String region = "region-" + random.nextInt(4);
          long at = eventTime(n, random);
          BigDecimal total = BigDecimal.valueOf(random.nextInt(100_000), 2);
          String id = "e-" + n;
          boolean traced = random.nextInt(10) != 0;
          boolean redelivered = random.nextInt(10) == 0;
          // Event time as an ISO instant with an offset, or as epoch milliseconds.
          String time =
              random.nextBoolean()
                  ? "\"" + Instant.ofEpochMilli(at).atOffset(ZoneOffset.ofHours(2)) + "\""
                  : Long.toString(at);
          String json =
              String.format(
                  Locale.ROOT,
                  "{\"event\":{\"id\":\"%s\",\"at\":%s},\"customer\":{\"region\":\"%s\"},"
                      + "\"payment\":{\"total\":%s},\"other\":[1,2,3]}",
                  id,
                  time,
                  region,
                  total.toPlainString());
          // The record key and timestamp are not what batches: the pointers are.
          TestRecord<byte[], byte[]> record = record(null, json, traced ? n : -1, 0L);
          for (int copy = 0; copy < (redelivered ? 2 : 1); copy++) {
            fixture.rawOrders.pipeInput(record);
          }
          Expected batch =
              expected.computeIfAbsent(
                  region + "@" + (at - at % HOUR), key -> new Expected(new HashMap<>()));
          batch.sumById().put(id, total);
          if (traced) {
            tracedIds.add(traceId(n));
          }
        }
        closeEverything(fixture, (key, value) -> record(key, value, -1, 0L), true);

        assertBatches(fixture, expected, tracedIds, seed);
      }
    }
  }

  @Test
  void shouldBatchRecordsWhoseValuesItNeverReads() {
    Random random = new Random(42);
    Map<String, Expected> expected = new TreeMap<>();
    List<String> tracedIds = new ArrayList<>();
    try (TopologyFixture fixture =
        new TopologyFixture(stateDir, Map.of(BatchConfig.INPUT_FORMAT_CONFIG, "unparsed"))) {
      for (int n = 0; n < 300; n++) {
        String key = "device-" + random.nextInt(5);
        long at = eventTime(n, random);
        byte[] value =
            switch (random.nextInt(3)) {
              case 0 -> null; // a tombstone is a record too
              case 1 -> new byte[] {(byte) 0xff, 0, (byte) 0xfe, 7}; // not text at all
              default -> "plain text, not JSON".getBytes(StandardCharsets.UTF_8);
            };
        boolean traced = random.nextInt(10) != 0;
        fixture.rawOrders.pipeInput(
            new TestRecord<>(
                key.getBytes(StandardCharsets.UTF_8),
                value,
                traced ? traceparent(n) : new RecordHeaders(),
                Instant.ofEpochMilli(at)));
        expected
            .computeIfAbsent(key + "@" + (at - at % HOUR), k -> new Expected(new HashMap<>()))
            .sumById()
            .put("0@" + n, null); // its position: partition 0, offset n
        if (traced) {
          tracedIds.add(traceId(n));
        }
      }
      closeEverything(fixture, (key, value) -> record(key, value, -1, 0L), false);

      assertBatches(fixture, expected, tracedIds, 42);
      assertThat(fixture.batches.isEmpty()).isTrue();
    }
  }

  @Test
  void shouldDeadLetterJsonThatTheSettingsCannotRead() {
    Map<String, Object> settings =
        Map.of(
            BatchConfig.INPUT_FORMAT_CONFIG, "json",
            BatchConfig.JSON_ID_POINTER_CONFIG, "/id",
            BatchConfig.JSON_SUM_POINTER_CONFIG, "/n");
    try (TopologyFixture fixture = new TopologyFixture(stateDir, settings)) {
      for (String value :
          List.of("{\"n\":1}", "{\"id\":\"a\",\"n\":\"ten\"}", "[1,2]", "{\"id\":\" \"}")) {
        fixture.rawOrders.pipeInput(
            record("k".getBytes(StandardCharsets.UTF_8), value, 1, HOUR_10.toEpochMilli()));
      }
      fixture.rawOrders.pipeInput(
          record("k".getBytes(StandardCharsets.UTF_8), "{\"id\":7}", 1, HOUR_10.toEpochMilli()));

      assertThat(fixture.deadLetters.readValuesToList()).hasSize(4);
    }
  }

  @Test
  void shouldRefuseAPointerThatIsNotOne() {
    assertThatThrownBy(
            () ->
                new BatchConfig(
                    Map.of(
                        BatchConfig.APPLICATION_ID_CONFIG, "app",
                        BatchConfig.INPUT_FORMAT_CONFIG, "json",
                        BatchConfig.JSON_ID_POINTER_CONFIG, "order.id")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(BatchConfig.JSON_ID_POINTER_CONFIG)
        .hasMessageContaining("JSON pointer");
  }

  /**
   * Two hours of records in time order, each up to a minute out of order: within the five minutes'
   * grace, so none is late.
   */
  private static long eventTime(int n, Random random) {
    return HOUR_10.toEpochMilli() + 60_000 + n * 23_000L - random.nextInt(60_000);
  }

  /** Per (batch key, hour): the sum of each distinct record id (null: nothing summed). */
  private record Expected(Map<String, BigDecimal> sumById) {}

  private interface Closer {
    TestRecord<byte[], byte[]> record(byte[] key, String value);
  }

  /** A record for every batch key four hours on: every window of the test closes. */
  private static void closeEverything(TopologyFixture fixture, Closer closer, boolean json) {
    long later = HOUR_10.toEpochMilli() + 4 * HOUR;
    for (int region = 0; region < 5; region++) {
      String value =
          json
              ? String.format(
                  Locale.ROOT,
                  "{\"event\":{\"id\":\"closer-%d\",\"at\":%d},\"customer\":{\"region\":\"region-%d\"}}",
                  region,
                  later,
                  region)
              : "closer";
      TestRecord<byte[], byte[]> record =
          closer.record(("device-" + region).getBytes(StandardCharsets.UTF_8), value);
      fixture.rawOrders.pipeInput(
          new TestRecord<>(
              record.key(), record.value(), record.headers(), Instant.ofEpochMilli(later)));
    }
  }

  private static void assertBatches(
      TopologyFixture fixture, Map<String, Expected> expected, List<String> tracedIds, long seed) {
    Map<String, OrderBatch> batches = new TreeMap<>();
    for (OrderBatch batch : fixture.batches.readValuesToList()) {
      if (batch.windowStart().isBefore(HOUR_10.plusMillis(2 * HOUR))) {
        batches.put(batch.batchKey() + "@" + batch.windowStart().toEpochMilli(), batch);
      }
    }
    assertThat(batches.keySet()).as("seed %d: batches", seed).isEqualTo(expected.keySet());
    expected.forEach(
        (key, batch) -> {
          OrderBatch actual = batches.get(key);
          assertThat(actual.orderCount())
              .as("seed %d: %s", seed, key)
              .isEqualTo(batch.sumById().size());
          BigDecimal sum =
              batch.sumById().values().stream()
                  .filter(value -> value != null)
                  .reduce(BigDecimal.ZERO, BigDecimal::add);
          if (batch.sumById().values().stream().allMatch(value -> value == null)) {
            assertThat(actual.totals()).as("seed %d: %s has no totals", seed, key).isEmpty();
          } else {
            assertThat(actual.totals())
                .as("seed %d: %s", seed, key)
                .containsOnlyKeys("/payment/total");
            assertThat(actual.totals().get("/payment/total"))
                .as("seed %d: %s", seed, key)
                .isEqualByComparingTo(sum);
          }
        });
    List<String> linked =
        fixture.finishedSpans().stream()
            .flatMap(span -> span.getLinks().stream())
            .filter(link -> link.getAttributes().get(SpanlinksAttributes.LINK_TO) == null)
            .map(LinkData::getSpanContext)
            .map(context -> context.getTraceId())
            .collect(Collectors.toList());
    assertThat(linked)
        .as("seed %d: every traced record linked exactly once", seed)
        .containsExactlyInAnyOrderElementsOf(tracedIds);
  }

  private static TestRecord<byte[], byte[]> record(byte[] key, String value, int traced, long ts) {
    return new TestRecord<>(
        key,
        value.getBytes(StandardCharsets.UTF_8),
        traced >= 0 ? traceparent(traced) : new RecordHeaders(),
        Instant.ofEpochMilli(ts == 0L ? HOUR_10.toEpochMilli() : ts));
  }

  private static RecordHeaders traceparent(int n) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(
        "traceparent",
        ("00-" + traceId(n) + "-" + String.format("%016x", n + 1) + "-01")
            .getBytes(StandardCharsets.UTF_8));
    return headers;
  }

  private static String traceId(int n) {
    return String.format("%032x", 0x1000L + n);
  }
}
