package dev.spanlinks.streams.trace;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.Meter;

/**
 * spanlinks' metrics, through the same OpenTelemetry SDK as its spans. Every input record ends in
 * exactly one {@code spanlinks.orders} outcome, so {@code batched + late + dead_lettered} is the
 * input count.
 */
public final class SpanlinksMetrics {
  public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("spanlinks.outcome");
  private static final Attributes BATCHED = Attributes.of(OUTCOME, "batched");
  private static final Attributes LATE = Attributes.of(OUTCOME, "late");
  private static final Attributes DEAD_LETTERED = Attributes.of(OUTCOME, "dead_lettered");

  private final LongCounter orders;
  private final LongCounter linked;
  private final LongCounter unlinked;
  private final LongHistogram batchSize;
  private final DoubleHistogram closeDelay;

  public SpanlinksMetrics(OpenTelemetry openTelemetry) {
    Meter meter = openTelemetry.getMeter(BatchTracer.INSTRUMENTATION_SCOPE);
    orders =
        meter
            .counterBuilder("spanlinks.orders")
            .setDescription("Input records by outcome: batched, late or dead_lettered")
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
  }

  public void batchClosed(long orderCount, long linkedCount, long unlinkedCount, long delayMs) {
    orders.add(orderCount, BATCHED);
    linked.add(linkedCount);
    unlinked.add(unlinkedCount);
    batchSize.record(orderCount);
    closeDelay.record(delayMs / 1000.0);
  }

  public void late() {
    orders.add(1, LATE);
  }

  public void deadLettered() {
    orders.add(1, DEAD_LETTERED);
  }
}
