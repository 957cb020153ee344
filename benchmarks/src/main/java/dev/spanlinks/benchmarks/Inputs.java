package dev.spanlinks.benchmarks;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.test.TestRecord;

/** The same input for every variant: traced orders in event-time order. */
final class Inputs {
  static final Instant START = Instant.parse("2026-01-15T00:00:00Z");
  static final long HOUR = 3_600_000L;

  private Inputs() {}

  /**
   * {@code count} orders over {@code keys} batch keys and {@code hours} hourly windows, then one
   * order per key two hours later that closes them all.
   */
  static List<TestRecord<String, byte[]>> orders(int count, int keys, int hours) {
    List<TestRecord<String, byte[]>> records = new ArrayList<>(count + keys);
    long spacing = Math.max(1, hours * HOUR / count);
    for (int i = 0; i < count; i++) {
      records.add(order(i, "key-" + (i % keys), START.toEpochMilli() + i * spacing));
    }
    for (int k = 0; k < keys; k++) {
      records.add(order(count + k, "key-" + k, START.toEpochMilli() + (hours + 2) * HOUR));
    }
    return records;
  }

  /**
   * {@code count} orders over {@code hours} hourly windows, batch key {@code i % keys}, so each
   * hour holds up to {@code keys} batch keys; then orders two hours later, for just enough keys to
   * reach every one of {@code partitions} partitions (Java client's partitioner), which close every
   * window without adding a record per key.
   */
  static List<TestRecord<String, byte[]>> ordersClosedPerPartition(
      int count, int keys, int hours, int partitions) {
    List<TestRecord<String, byte[]>> records = new ArrayList<>(count + partitions);
    long spacing = Math.max(1, hours * HOUR / count);
    for (int i = 0; i < count; i++) {
      records.add(order(i, "key-" + (i % keys), START.toEpochMilli() + i * spacing));
    }
    Set<Integer> reached = new HashSet<>();
    for (int k = 0; k < keys && reached.size() < partitions; k++) {
      String key = "key-" + k;
      if (reached.add(partitionOf(key, partitions))) {
        records.add(order(count + k, key, START.toEpochMilli() + (hours + 2) * HOUR));
      }
    }
    return records;
  }

  /** The partition the Java client's default partitioner picks for {@code key}. */
  static int partitionOf(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /** The low 64 bits of order {@code n}'s trace id. */
  static long traceIdLow(long n) {
    return 0x10000000L + n;
  }

  /**
   * The {@code n} that {@link #order} gave the order {@code value}: the orders that close the
   * windows are numbered from the count of orders before them.
   */
  static long orderNumber(byte[] value) {
    String json = new String(value, StandardCharsets.UTF_8);
    int at = json.indexOf(ORDER_ID_PREFIX);
    if (at < 0) {
      throw new IllegalArgumentException("Not a benchmark order: " + json);
    }
    int from = at + ORDER_ID_PREFIX.length();
    return Long.parseLong(json.substring(from, json.indexOf('"', from)));
  }

  private static final String ORDER_ID_PREFIX = "\"orderId\":\"order-";

  /** One traced order of batch key {@code key} at {@code eventTime}. */
  static TestRecord<String, byte[]> order(int n, String key, long eventTime) {
    String json =
        "{"
            + ORDER_ID_PREFIX
            + n
            + "\",\"customerId\":\"c-"
            + (n % 1000)
            + "\",\"region\":\"west\",\"amount\":12.50,\"currency\":\"EUR\",\"createdAt\":\""
            + Instant.ofEpochMilli(eventTime)
            + "\"}";
    RecordHeaders headers = new RecordHeaders();
    headers.add(
        "traceparent",
        String.format(Locale.ROOT, "00-%032x-%016x-01", traceIdLow(n), 0x20000000L + n)
            .getBytes(StandardCharsets.UTF_8));
    return new TestRecord<>(key, json.getBytes(StandardCharsets.UTF_8), headers, eventTime);
  }
}
