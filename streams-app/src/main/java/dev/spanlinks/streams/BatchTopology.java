package dev.spanlinks.streams;

import dev.spanlinks.streams.model.OrderSerdes;
import io.opentelemetry.api.OpenTelemetry;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;

/**
 * Builds the spanlinks topology. Tests, generated docs and the runner all call {@link #build}.
 *
 * <pre>
 * orders ── orders-source ── capture-order ── close-windows ──┬── order-batches-sink ── order-batches
 *   │ (invalid: dead-letter handler)               │ stores   └── orders-late-sink ──── orders-late
 *   └──────────────────────────► orders-dlq        batch-contributions, window-progress
 * </pre>
 */
public final class BatchTopology {
  private BatchTopology() {}

  /**
   * The topology, as a pure function of its inputs.
   *
   * @param openTelemetry where batch spans and metrics go; build it with {@link
   *     dev.spanlinks.streams.trace.SpanlinksTelemetry} for deterministic ids and a link limit
   */
  public static Topology build(BatchConfig config, OpenTelemetry openTelemetry) {
    Topology topology = new Topology();
    topology.addSource(
        AutoOffsetReset.earliest(),
        Names.ORDERS_SOURCE,
        new OrderTimestampExtractor(),
        OrderSerdes.batchKeyDeserializer(),
        OrderSerdes.orderDeserializer(),
        config.ordersTopic());
    topology.addProcessor(
        Names.CAPTURE_ORDER,
        () ->
            new CaptureOrderProcessor(
                openTelemetry.getPropagators().getTextMapPropagator(), config.maxFutureMs()),
        Names.ORDERS_SOURCE);
    topology.addProcessor(
        Names.CLOSE_WINDOWS,
        () -> new CloseWindowsProcessor(config, openTelemetry),
        Names.CAPTURE_ORDER);
    topology.addStateStore(ContributionStore.contributionsStore(), Names.CLOSE_WINDOWS);
    topology.addStateStore(ContributionStore.windowProgressStore(), Names.CLOSE_WINDOWS);
    topology.addSink(
        Names.ORDER_BATCHES_SINK,
        config.batchesTopic(),
        new StringSerializer(),
        OrderSerdes.orderBatchSerializer(),
        Names.CLOSE_WINDOWS);
    topology.addSink(
        Names.LATE_ORDERS_SINK,
        config.lateTopic(),
        new StringSerializer(),
        OrderSerdes.orderSerializer(),
        Names.CLOSE_WINDOWS);
    return topology;
  }
}
