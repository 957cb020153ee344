package dev.spanlinks.app.orders;

import dev.spanlinks.streams.LinkedBatch;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The result of one closed (batch key, window): what the output topic carries. Its size is bounded
 * whatever the number of orders: counts and one total per currency, never a list of orders.
 *
 * @param totals sum of order amounts per currency, sorted by currency code
 * @param traceId the batch span's trace id (32 hex digits), the way into the backend
 * @param spanId the batch span's span id (16 hex digits)
 * @param partition the input partition whose orders this batch holds: with producers that partition
 *     keys differently, one (batch key, window) can be a batch per partition
 */
public record OrderBatch(
    String batchKey,
    Instant windowStart,
    Instant windowEnd,
    long orderCount,
    long linkedCount,
    long unlinkedCount,
    long duplicateCount,
    int linkChunkCount,
    SortedMap<String, BigDecimal> totals,
    String traceId,
    String spanId,
    int partition) {

  /** The output record of a batch of orders: a {@link LinkedBatch} under the orders' names. */
  public static OrderBatch of(LinkedBatch batch) {
    return new OrderBatch(
        batch.key(),
        batch.windowStart(),
        batch.windowEnd(),
        batch.recordCount(),
        batch.linkedCount(),
        batch.unlinkedCount(),
        batch.duplicateCount(),
        batch.linkChunkCount(),
        batch.sums(),
        batch.traceId(),
        batch.spanId(),
        batch.partition());
  }

  /** This batch as the library's type. */
  public LinkedBatch toLinkedBatch() {
    return new LinkedBatch(
        batchKey,
        windowStart,
        windowEnd,
        orderCount,
        linkedCount,
        unlinkedCount,
        duplicateCount,
        linkChunkCount,
        totals,
        traceId,
        spanId,
        partition);
  }

  public OrderBatch {
    Objects.requireNonNull(batchKey, "batchKey");
    Objects.requireNonNull(windowStart, "windowStart");
    Objects.requireNonNull(windowEnd, "windowEnd");
    Objects.requireNonNull(traceId, "traceId");
    Objects.requireNonNull(spanId, "spanId");
    totals = Collections.unmodifiableSortedMap(new TreeMap<>(totals));
  }
}
