package dev.spanlinks.streams.trace.internals;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.Meter;

/**
 * spanlinks' metrics, through the same OpenTelemetry SDK as its spans. Every input record ends in
 * exactly one {@code spanlinks.orders} outcome, so {@code batched + duplicate + late +
 * dead_lettered} is the input count: {@code batched} counts distinct orders per batch, {@code
 * duplicate} every further delivery of an order id a batch already had. Under exactly-once they
 * count what committed ({@link CountsAtCommit}): a retried transaction's records once.
 */
public final class SpanlinksMetrics {
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("spanlinks.outcome");
  private static final Attributes BATCHED = Attributes.of(OUTCOME, "batched");
  private static final Attributes LATE = Attributes.of(OUTCOME, "late");
  private static final Attributes DEAD_LETTERED = Attributes.of(OUTCOME, "dead_lettered");
  private static final Attributes DUPLICATE = Attributes.of(OUTCOME, "duplicate");
  private static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");
  private static final Attributes AMOUNT_OUT_OF_RANGE =
      Attributes.of(REASON, "amount_out_of_range");
  private static final Attributes UNREADABLE_BLOCK = Attributes.of(REASON, "unreadable_block");
  private static final Attributes TOTALS_OMITTED = Attributes.of(REASON, "totals_omitted");

  private final LongCounter orders;
  private final LongCounter linked;
  private final LongCounter unlinked;
  private final LongHistogram batchSize;
  private final DoubleHistogram closeDelay;
  private final LongCounter storeFailures;
  private final LongCounter refusedWrites;

  public SpanlinksMetrics(OpenTelemetry openTelemetry) {
    Meter meter = openTelemetry.getMeter(BatchTracer.INSTRUMENTATION_SCOPE);
    orders =
        meter
            .counterBuilder("spanlinks.orders")
            .setDescription("Input records by outcome: batched, duplicate, late or dead_lettered")
            .setUnit("{order}")
            .build();
    linked =
        meter
            .counterBuilder("spanlinks.orders.linked")
            .setDescription("Batched orders that became a span link")
            .setUnit("{order}")
            .build();
    unlinked =
        meter
            .counterBuilder("spanlinks.orders.unlinked")
            .setDescription("Batched orders without a usable trace context")
            .setUnit("{order}")
            .build();
    batchSize =
        meter
            .histogramBuilder("spanlinks.batch.size")
            .setDescription("Orders per closed batch")
            .setUnit("{order}")
            .ofLongs()
            .build();
    closeDelay =
        meter
            .histogramBuilder("spanlinks.window.close.delay")
            .setDescription("Wall-clock time from a window's end to its batch being emitted")
            .setUnit("s")
            .build();
    storeFailures =
        meter
            .counterBuilder("spanlinks.store.failures")
            .setDescription(
                "Stored state a close could not use: an amount left out of a batch total"
                    + " (reason=amount_out_of_range), a block that could not be read"
                    + " (reason=unreadable_block), or a batch's totals left out of its record to"
                    + " keep it within the record limit (reason=totals_omitted)")
            .setUnit("{item}")
            .build();
    refusedWrites =
        meter
            .counterBuilder("spanlinks.writes.refused")
            .setDescription(
                "Records spanlinks wrote that the broker or producer refused (too large, a"
                    + " timestamp out of range): each went to the dead-letter topic instead, or,"
                    + " for a dead letter itself, was dropped and logged")
            .setUnit("{record}")
            .build();
  }

  /** A batch closed: counted at its transaction's commit ({@link CountsAtCommit}). */
  public void batchClosed(
      long orderCount,
      long linkedCount,
      long unlinkedCount,
      long duplicateCount,
      long unsummedCount,
      long delayMs) {
    CountsAtCommit.count(
        () -> {
          orders.add(orderCount, BATCHED);
          if (duplicateCount > 0) {
            orders.add(duplicateCount, DUPLICATE);
          }
          if (unsummedCount > 0) {
            storeFailures.add(unsummedCount, AMOUNT_OUT_OF_RANGE);
          }
          linked.add(linkedCount);
          unlinked.add(unlinkedCount);
          batchSize.record(orderCount);
          closeDelay.record(delayMs / 1000.0);
        });
  }

  public void unreadableBlock() {
    CountsAtCommit.count(() -> storeFailures.add(1, UNREADABLE_BLOCK));
  }

  /** A batch record went out without its totals: with them it would pass the record limit. */
  public void totalsOmitted() {
    CountsAtCommit.count(() -> storeFailures.add(1, TOTALS_OMITTED));
  }

  /**
   * A write refused: counted at once, since a refusal the broker answers comes on the producer's
   * own thread and its transaction aborts; each try is a refusal.
   */
  public void refusedWrite() {
    refusedWrites.add(1);
  }

  public void late() {
    CountsAtCommit.count(() -> orders.add(1, LATE));
  }

  public void deadLettered() {
    CountsAtCommit.count(() -> orders.add(1, DEAD_LETTERED));
  }
}
