package dev.spanlinks.streams;

import dev.spanlinks.streams.state.Contribution;
import dev.spanlinks.streams.state.ContributionStore;
import dev.spanlinks.streams.state.SeenOrderIds;
import dev.spanlinks.streams.trace.internals.BatchSpans;
import dev.spanlinks.streams.trace.internals.BatchTracer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * One closing (batch key, window), fed its contributions one by one as the store scan yields them:
 * links go to {@link BatchSpans} chunk by chunk, everything else is a count or a running total. The
 * one thing kept per order is a fingerprint of its id for duplicate detection ({@link
 * SeenOrderIds}: 32 bytes an order, up to {@code spanlinks.dedupe.table.max.bytes} of heap, then
 * spilled to a file). {@link #close} once the batch is out.
 */
final class BatchAccumulator implements AutoCloseable {
  private final String batchKey;
  private final long windowStartMs;
  private final long windowEndMs;
  private final int partition;
  private final BatchSpans spans;
  private final SeenOrderIds seen;
  private final SortedMap<String, BigDecimal> totals = new TreeMap<>();
  private long orders;
  private long unlinked;
  private long duplicates;
  private long unsummed;
  private long maxEventTimeMs = Long.MIN_VALUE;

  BatchAccumulator(
      BatchTracer tracer,
      ContributionStore.BatchWindow batch,
      long windowEndMs,
      int partition,
      long seenIdsMaxBytes,
      BooleanSupplier sampledAhead) {
    this.seen = new SeenOrderIds(seenIdsMaxBytes);
    this.batchKey = batch.batchKey();
    this.windowStartMs = batch.windowStartMs();
    this.windowEndMs = windowEndMs;
    this.partition = partition;
    this.spans =
        tracer.begin(
            batchKey,
            Instant.ofEpochMilli(windowStartMs),
            Instant.ofEpochMilli(windowEndMs),
            partition);
    this.spans.sampledAhead(sampledAhead);
  }

  boolean isFor(ContributionStore.BatchWindow batch) {
    return batch.windowStartMs() == windowStartMs && batch.batchKey().equals(batchKey);
  }

  /** Some order of this batch arrived sampled (an earlier version's marker says so). */
  void someLinkSampled() {
    spans.someLinkSampled();
  }

  /** Counts an order id seen before in this batch as a duplicate, and nothing else. */
  void add(Contribution contribution) {
    if (contribution.spanContext().isSampled()) {
      spans.someLinkSampled();
    }
    if (!seen.add(contribution.orderId())) {
      duplicates++;
      return;
    }
    orders++;
    duplicates += contribution.duplicates();
    if (contribution.linked()) {
      spans.link(contribution);
    } else {
      unlinked++;
    }
    addToTotal(contribution);
    maxEventTimeMs = Math.max(maxEventTimeMs, contribution.eventTimeMs());
  }

  /**
   * Adds the order's amount to its currency's total, unless it is out of the monetary range: the
   * edge refuses such amounts, but a store written by an older version may hold one, and a value
   * that fails the close would fail it again on every restart. Such an order still counts and
   * links; only its amount is left out, and counted.
   */
  private void addToTotal(Contribution contribution) {
    if (contribution.currency().equals(CapturedRecord.NO_SUM)) {
      return; // a record of a format with no summed field: the batch has no totals
    }
    BigDecimal amount;
    try {
      amount = BatchedRecord.checkedSum(contribution.amount(), "amount");
    } catch (RejectedRecordException e) {
      unsummed++;
      return;
    }
    totals.merge(contribution.currency(), amount, BigDecimal::add);
  }

  /** Stored orders whose amount is not in any total (see {@link #addToTotal}). */
  long unsummedCount() {
    return unsummed;
  }

  /** Starts what spans remain and returns the batch span, started and not yet ended. */
  Span finishSpans() {
    return spans.finish(orders, unlinked, duplicates);
  }

  LinkedBatch toLinkedBatch(SpanContext batchSpan) {
    return new LinkedBatch(
        batchKey,
        Instant.ofEpochMilli(windowStartMs),
        Instant.ofEpochMilli(windowEndMs),
        orders,
        spans.linkedCount(),
        unlinked,
        duplicates,
        spans.chunkSpanCount(),
        totals,
        batchSpan.getTraceId(),
        batchSpan.getSpanId(),
        partition);
  }

  String batchKey() {
    return batchKey;
  }

  long orderCount() {
    return orders;
  }

  /**
   * The output record's timestamp, like a Kafka windowed aggregate: the latest order's; the window
   * start when no stored order could be read (each unreadable block is counted in {@code
   * spanlinks.store.failures}), never a timestamp the producer refuses.
   */
  long timestampMs() {
    return orders == 0 ? windowStartMs : maxEventTimeMs;
  }

  /**
   * An upper bound of the batch record's JSON, in bytes, without writing it: the batch key's and
   * every total's key at six bytes a character (JSON's escape of a control character), the rest at
   * its widest.
   */
  long jsonBytesBound() {
    long bytes = 640 + 6L * batchKey.length();
    for (String totalKey : totals.keySet()) {
      bytes += 64 + 6L * totalKey.length();
    }
    return bytes;
  }

  /** Deletes what the duplicate check spilled to disk, if anything. */
  @Override
  public void close() {
    seen.close();
  }
}
