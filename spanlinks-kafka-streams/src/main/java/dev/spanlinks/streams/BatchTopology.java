package dev.spanlinks.streams;

import dev.spanlinks.streams.model.Order;
import dev.spanlinks.streams.model.OrderSerdes;
import dev.spanlinks.streams.model.internals.InputFormat;
import dev.spanlinks.streams.model.internals.OrderJson;
import dev.spanlinks.streams.state.ContributionStore;
import io.opentelemetry.api.OpenTelemetry;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * Builds the spanlinks topology. Tests, generated docs and the runner all call {@link #build}.
 *
 * <pre>
 * orders ── orders-source ── admit-order ── capture-order ── close-windows ──┬── order-batches-sink
 *   │ (invalid, or its writes would not fit: dead-letter handler)     │ stores └── orders-late-sink
 *   └──────────────────────────► orders-dlq           batch-contributions, window-progress
 * </pre>
 *
 * <p>{@code admit-order} holds each order to the brokers' limits ({@link WriteLimits}) before
 * anything is written for it: batch key length, event time, header size.
 *
 * <p>With {@code spanlinks.repartition.by.key}, two steps come between the source and {@code
 * capture-order}: {@code mark-source-position} notes each order's input partition and offset in its
 * headers (the links keep pointing at the order's own record), and {@code orders-by-key}
 * repartitions by batch key through the internal topic {@code <application.id>-orders-by-key-
 * repartition}, so one task sees every order of a key, whatever partitioner its producer used.
 *
 * <p>The {@link InputFormat} ({@code spanlinks.input.format}) decides how values become orders.
 * When the batch key comes from the value, {@code batch-key-from-value} re-keys each record right
 * after the source.
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
    StreamsBuilder builder = new StreamsBuilder();
    InputFormat format = config.inputFormat();
    KStream<String, Order> orders =
        builder.stream(
            config.ordersTopic(),
            Consumed.with(
                    Serdes.serdeFrom(
                        new StringSerializer(),
                        format.batchKeyFromValue()
                            ? new StringDeserializer()
                            : OrderSerdes.batchKeyDeserializer()),
                    Serdes.serdeFrom(OrderSerdes.orderSerializer(), format.valueDeserializer()))
                .withTimestampExtractor(new OrderTimestampExtractor())
                .withOffsetResetPolicy(AutoOffsetReset.earliest())
                .withName(Names.ORDERS_SOURCE));
    if (format.batchKeyFromValue()) {
      orders =
          orders.selectKey((key, order) -> order.batchKey(), Named.as(Names.BATCH_KEY_FROM_VALUE));
    }
    WriteLimits limits = WriteLimits.of(config);
    orders =
        orders.processValues(() -> new AdmitOrderProcessor(limits), Named.as(Names.ADMIT_ORDER));
    if (config.repartitionByKey()) {
      orders =
          orders
              .processValues(SourcePosition::marker, Named.as(Names.MARK_SOURCE_POSITION))
              .repartition(
                  Repartitioned.<String, Order>as(Names.ORDERS_BY_KEY)
                      .withKeySerde(Serdes.String())
                      .withValueSerde(
                          Serdes.serdeFrom(
                              OrderSerdes.orderSerializer(),
                              OrderJson.internalOrderDeserializer())));
    }
    orders.process(
        () ->
            new CaptureRecordProcessor<>(
                BatchTopology::read,
                null, // admitted above
                openTelemetry.getPropagators().getTextMapPropagator(),
                config.repartitionByKey()),
        Named.as(Names.CAPTURE_ORDER));

    Topology topology = builder.build();
    topology.addProcessor(
        Names.CLOSE_WINDOWS,
        () -> new CloseWindowsProcessor(config, openTelemetry),
        Names.CAPTURE_ORDER);
    topology.addStateStore(
        ContributionStore.contributionsStore(Names.CONTRIBUTIONS_STORE), Names.CLOSE_WINDOWS);
    topology.addStateStore(
        ContributionStore.windowProgressStore(Names.WINDOW_PROGRESS_STORE), Names.CLOSE_WINDOWS);
    topology.addSink(
        Names.ORDER_BATCHES_SINK,
        config.batchesTopic(),
        new StringSerializer(),
        OrderSerdes.linkedBatchSerializer(),
        Names.CLOSE_WINDOWS);
    topology.addSink(
        Names.LATE_ORDERS_SINK,
        config.lateTopic(),
        new StringSerializer(),
        OrderSerdes.orderSerializer(),
        Names.CLOSE_WINDOWS);
    return topology;
  }

  /**
   * An order as the close step sees it: its record timestamp is its event time already ({@link
   * OrderTimestampExtractor}), and a format without ids or sums leaves them out.
   */
  private static BatchedRecord read(String batchKey, Order order, long timestamp) {
    boolean summed = !order.currency().equals(InputFormat.NO_SUM);
    return new BatchedRecord(
        order.orderId().equals(InputFormat.NO_ID) ? null : order.orderId(),
        batchKey,
        null,
        summed ? order.currency() : null,
        summed ? order.amount() : null,
        order.linkAttributes());
  }
}
