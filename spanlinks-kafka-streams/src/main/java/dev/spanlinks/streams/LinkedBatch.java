package dev.spanlinks.streams;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * One closed (batch key, event-time window) of a linked stream: what {@link LinkedWindows} emits,
 * with the batch span's context also in the record's {@code traceparent} header. Its size is
 * bounded whatever the number of records: counts and one sum per sum key, never a list.
 *
 * @param key the batch key ({@link BatchedRecord#batchKey()})
 * @param windowStart inclusive
 * @param windowEnd exclusive
 * @param recordCount distinct records (by {@link BatchedRecord#id()}) in the batch
 * @param linkedCount records whose span context became a link
 * @param unlinkedCount records without a valid span context
 * @param duplicateCount redeliveries of records already in the batch, counted once
 * @param linkChunkCount the batch span's link chunk spans (0 when its own links held every one)
 * @param sums the sum of {@link BatchedRecord#sum()} per {@link BatchedRecord#sumKey()}, sorted by
 *     key; empty when no record had a sum, or when the sums would take the record past the broker's
 *     record limit (counted in {@code spanlinks.store.failures} and logged)
 * @param traceId the batch span's trace id (32 hex digits), the way into the backend
 * @param spanId the batch span's span id (16 hex digits)
 * @param partition the input partition whose records this batch holds: with producers that
 *     partition keys differently, one (batch key, window) can be a batch per partition
 */
public record LinkedBatch(
    String key,
    Instant windowStart,
    Instant windowEnd,
    long recordCount,
    long linkedCount,
    long unlinkedCount,
    long duplicateCount,
    int linkChunkCount,
    SortedMap<String, BigDecimal> sums,
    String traceId,
    String spanId,
    int partition) {

  public LinkedBatch {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(windowStart, "windowStart");
    Objects.requireNonNull(windowEnd, "windowEnd");
    Objects.requireNonNull(traceId, "traceId");
    Objects.requireNonNull(spanId, "spanId");
    sums = Collections.unmodifiableSortedMap(new TreeMap<>(sums));
  }

  /**
   * Batches as JSON objects of these fields by name ({@code {"key":"eu","windowStart":
   * "2026-01-15T10:00:00Z",...,"sums":{"amount":25.00},...}}): instants in ISO-8601, sums with the
   * scale they were summed with.
   */
  public static Serde<LinkedBatch> jsonSerde() {
    return Serdes.serdeFrom(
        (topic, batch) -> LinkedBatchJson.write(batch),
        (topic, data) -> LinkedBatchJson.read(data));
  }

  /** This batch without its sums: see {@link #sums()}. */
  LinkedBatch withoutSums() {
    return new LinkedBatch(
        key,
        windowStart,
        windowEnd,
        recordCount,
        linkedCount,
        unlinkedCount,
        duplicateCount,
        linkChunkCount,
        new TreeMap<>(),
        traceId,
        spanId,
        partition);
  }
}
