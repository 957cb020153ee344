package dev.spanlinks.app.orders;

import static dev.spanlinks.app.orders.TestOrder.traced;
import static dev.spanlinks.app.orders.TestOrder.untraced;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state and output of a release before the library took records of any type (e081722, when
 * orders were the library's), pinned as bytes: this release must write the same blocks for the same
 * orders, close windows that release left open, and emit the same batch records with the same ids.
 * The golden values were printed by that release's own code, running {@link #send}'s orders through
 * its topology fixture.
 *
 * <p>Two writes changed since, on purpose, to make a one-order batch cheaper: no sampled marker
 * (value {@code 00}, a key without a block id) is written any more, the close learns sampling from
 * the blocks; and block ids are reserved a range at a time, so {@code next-block-id} jumps to the
 * end of the first range. That release's markers and exact sequence are still read (the second
 * test).
 */
class StoredStateCompatibilityTest {
  /** The contributions store after {@link #send}: key and value of each entry, in key order. */
  private static final List<List<String>> CONTRIBUTIONS =
      List.of(
          List.of("8000019bc1190100000000026575", "00"),
          List.of(
              "8000019bc11901000000000265750000000000000000",
              "03021c6f726465722d31c0cf24000004c4130c4555520000000000000000"
                  + "0000000010000001000000002000000101021c6f726465722d32c0ee6d00"
                  + "0204c4130c55534400000000000000000000000010000002000000002000"
                  + "000201021c6f726465722d33c08db701000404c4130c4555520000000000"
                  + "0000000000000010000003000000002000000300001c706c61696e2d34c0"
                  + "ac8002000604c4130c455552021c6f726465722d31c0cf24000a04c4130c"
                  + "45555200000000000000000000000010000001000000002000000101"),
          List.of("8000019bc1190100000000027573", "00"),
          List.of(
              "8000019bc11901000000000275730000000000000001",
              "03061c6f726465722d35c0cbc902000804c4130c45555200000000000000"
                  + "0000000000100000050000000020000005014076656e646f723d782c6f74"
                  + "6865723d79"));

  /** The window-progress store after {@link #send}. */
  private static final Map<String, Long> PROGRESS =
      Map.ofEntries(
          Map.entry("closed-through", 1768471200000L),
          Map.entry("emitted-through", 1768471200000L),
          Map.entry("next-block-id", 2L));

  /** The batch records the order at 12:30 closes the 10:00 windows with: key and JSON value. */
  private static final List<List<String>> BATCHES =
      List.of(
          List.of(
              "eu",
              "{\"batchKey\":\"eu\",\"windowStart\":\"2026-01-15T10:00:00Z\",\"windowEnd\":\"202"
                  + "6-01-15T11:00:00Z\",\"orderCount\":4,\"linkedCount\":3,\"unlinkedCount\":1,\"d"
                  + "uplicateCount\":1,\"linkChunkCount\":0,\"totals\":{\"EUR\":37.50,\"USD\":12.50}"
                  + ",\"traceId\":\"043179a21c1ff4a10a71c3261d871ee2\",\"spanId\":\"45371a1b5400d9"
                  + "96\",\"partition\":0}"),
          List.of(
              "us",
              "{\"batchKey\":\"us\",\"windowStart\":\"2026-01-15T10:00:00Z\",\"windowEnd\":\"202"
                  + "6-01-15T11:00:00Z\",\"orderCount\":1,\"linkedCount\":1,\"unlinkedCount\":0,\"d"
                  + "uplicateCount\":0,\"linkChunkCount\":0,\"totals\":{\"EUR\":12.50},\"traceId\":\""
                  + "66a5aca8a20a6dec2388f8c808797b80\",\"spanId\":\"e0d685b70969a259\",\"partiti"
                  + "on\":0}"));

  @TempDir Path stateDir;

  @Test
  void shouldWriteTheStoredStateAndBatchesOfTheEarlierRelease() {
    try (TopologyFixture fixture = new TopologyFixture(stateDir, Map.of())) {
      send(fixture);
      assertThat(contributions(fixture))
          .containsExactlyElementsOf(
              CONTRIBUTIONS.stream().filter(entry -> !entry.get(1).equals("00")).toList());
      Map<String, Long> progress = new TreeMap<>(PROGRESS);
      progress.put("next-block-id", 1024L); // the first range of block ids, reserved
      assertThat(progress(fixture)).isEqualTo(progress);
      fixture.send(closer());
      assertThat(batches(fixture)).containsExactlyElementsOf(BATCHES);
    }
  }

  @Test
  void shouldCloseTheWindowsTheEarlierReleaseLeftOpen() {
    TopologyFixture fixture =
        TopologyFixture.restartable(stateDir, Map.of(), TopologyFixture.WALL_CLOCK_START);
    try {
      KeyValueStore<Bytes, byte[]> store = fixture.driver.getKeyValueStore("batch-contributions");
      for (List<String> entry : CONTRIBUTIONS) {
        store.put(
            Bytes.wrap(HexFormat.of().parseHex(entry.get(0))),
            HexFormat.of().parseHex(entry.get(1)));
      }
      KeyValueStore<String, Long> progress = fixture.driver.getKeyValueStore("window-progress");
      PROGRESS.forEach(progress::put);
      // A new release starts on that state: nothing of the old one in memory.
      fixture = fixture.restart();
      fixture.send(closer());
      assertThat(batches(fixture)).containsExactlyElementsOf(BATCHES);
    } finally {
      fixture.close();
    }
  }

  /** Traced, untraced, unsampled, a tracestate, another currency, two keys and a redelivery. */
  private static void send(TopologyFixture fixture) {
    fixture.send(traced(1).key("eu").at("2026-01-15T10:05:00Z"));
    fixture.send(traced(2).key("eu").amount("12.50", "USD").at("2026-01-15T10:15:00Z"));
    fixture.send(traced(3).unsampled().key("eu").at("2026-01-15T10:25:00Z"));
    fixture.send(untraced("plain-4").key("eu").at("2026-01-15T10:35:00Z"));
    fixture.send(traced(5).tracestate("vendor=x,other=y").key("us").at("2026-01-15T10:45:00Z"));
    fixture.send(traced(1).key("eu").at("2026-01-15T10:05:00Z"));
  }

  private static TestOrder closer() {
    return traced(6).key("eu").at(Instant.parse("2026-01-15T12:30:00Z"));
  }

  private static List<List<String>> contributions(TopologyFixture fixture) {
    List<List<String>> entries = new ArrayList<>();
    KeyValueStore<Bytes, byte[]> store = fixture.driver.getKeyValueStore("batch-contributions");
    try (KeyValueIterator<Bytes, byte[]> all = store.all()) {
      while (all.hasNext()) {
        KeyValue<Bytes, byte[]> entry = all.next();
        entries.add(
            List.of(
                HexFormat.of().formatHex(entry.key.get()), HexFormat.of().formatHex(entry.value)));
      }
    }
    return entries;
  }

  private static Map<String, Long> progress(TopologyFixture fixture) {
    Map<String, Long> values = new TreeMap<>();
    KeyValueStore<String, Long> store = fixture.driver.getKeyValueStore("window-progress");
    try (KeyValueIterator<String, Long> all = store.all()) {
      all.forEachRemaining(entry -> values.put(entry.key, entry.value));
    }
    return values;
  }

  /** The batch records as bytes on the topic: key and JSON value. */
  private static List<List<String>> batches(TopologyFixture fixture) {
    return fixture
        .driver
        .createOutputTopic("order-batches", new StringDeserializer(), new StringDeserializer())
        .readKeyValuesToList()
        .stream()
        .map(record -> List.of(record.key, record.value))
        .toList();
  }
}
