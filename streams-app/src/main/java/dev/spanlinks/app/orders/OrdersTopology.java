package dev.spanlinks.app.orders;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.BatchedRecord;
import dev.spanlinks.streams.DeferredRejection;
import dev.spanlinks.streams.LinkedWindows;
import dev.spanlinks.streams.RecordReader;
import io.opentelemetry.api.OpenTelemetry;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * Builds spanlinks' orders topology, through the library's public API ({@link LinkedWindows}), as
 * any user would. Tests, generated docs and the runner all call {@link #build}.
 *
 * <pre>
 * orders ── orders-source ── admit-order ── capture-order ── close-windows ── split ─┬─ order-batches-sink
 *   │ (invalid, or its writes would not fit: dead-letter handler)   │ stores          └─ orders-late-sink
 *   └─────────────────────────► orders-dlq        batch-contributions, window-progress
 * </pre>
 *
 * <p>{@code admit-order} refuses a record its deserializers refused (they note why in its headers,
 * {@link DeferredRejection}, so that Kafka Streams counts it as processed and it is dead-lettered
 * once) and an order without an event time; {@code capture-order} holds each order to the brokers'
 * limits before anything is written for it: batch key length, event time, header size.
 *
 * <p>With {@code spanlinks.repartition.by.key}, two steps come between {@code admit-order} and
 * {@code capture-order}: {@code mark-source-position} holds each order to those limits before its
 * copy is written and notes its input partition and offset in its headers (the links keep pointing
 * at the order's own record), and {@code orders-by-key} repartitions by batch key through the
 * internal topic {@code <application.id>-orders-by-key-repartition}, so one task sees every order
 * of a key, whatever partitioner its producer used.
 *
 * <p>The {@link InputFormat} ({@code spanlinks.input.format}) decides how values become orders.
 * When the batch key comes from the value, {@code batch-key-from-value} re-keys each record right
 * after {@code admit-order}.
 */
public final class OrdersTopology {
  static final String ORDERS_SOURCE = "orders-source";

  /** When the batch key comes from the value ({@code spanlinks.json.batch.key.pointer}). */
  static final String BATCH_KEY_FROM_VALUE = "batch-key-from-value";

  /** Refuses a record its deserializers refused, and an order without an event time. */
  static final String ADMIT_ORDER = "admit-order";

  /** With {@code spanlinks.repartition.by.key}: the limits, and each order's input position. */
  static final String MARK_SOURCE_POSITION = "mark-source-position";

  /**
   * With {@code spanlinks.repartition.by.key}: the repartition by batch key, through the internal
   * topic {@code <application.id>-orders-by-key-repartition}.
   */
  static final String ORDERS_BY_KEY = "orders-by-key";

  static final String ORDER_BATCHES_SINK = "order-batches-sink";
  static final String LATE_ORDERS_SINK = "orders-late-sink";

  /**
   * An order as the library reads it: its record timestamp is its event time already ({@link
   * OrderTimestampExtractor}), and a format without ids or sums leaves them out.
   */
  static final RecordReader<String, Order> READER =
      (batchKey, order, timestamp) -> {
        boolean summed = !order.currency().equals(InputFormat.NO_SUM);
        return new BatchedRecord(
            order.orderId().equals(InputFormat.NO_ID) ? null : order.orderId(),
            batchKey,
            null,
            summed ? order.currency() : null,
            summed ? order.amount() : null,
            order.linkAttributes());
      };

  private OrdersTopology() {}

  /**
   * The topology, as a pure function of its inputs.
   *
   * @param openTelemetry where batch spans and metrics go; build it with {@link
   *     dev.spanlinks.streams.SpanlinksTelemetry} for deterministic ids and a link limit
   */
  public static Topology build(BatchConfig config, OpenTelemetry openTelemetry) {
    StreamsBuilder builder = new StreamsBuilder();
    InputFormat format = InputFormat.of(config);
    KStream<String, Order> orders =
        builder.stream(
            config.ordersTopic(),
            // A record its deserializer refuses reaches admit-order, which dead-letters it: Kafka
            // Streams then counts it as processed, so it is dead-lettered once (DeferredRejection).
            DeferredRejection.consumed(
                    Serdes.serdeFrom(
                        new StringSerializer(),
                        format.batchKeyFromValue()
                            ? new StringDeserializer()
                            : OrderSerdes.batchKeyDeserializer()),
                    Serdes.serdeFrom(OrderSerdes.orderSerializer(), format.valueDeserializer()),
                    new OrderTimestampExtractor())
                .withOffsetResetPolicy(AutoOffsetReset.earliest())
                .withName(ORDERS_SOURCE));
    orders = orders.processValues(AdmitOrderProcessor::new, Named.as(ADMIT_ORDER));
    if (format.batchKeyFromValue()) {
      orders = orders.selectKey((key, order) -> order.batchKey(), Named.as(BATCH_KEY_FROM_VALUE));
    }
    // The configuration given here, whatever the properties the topology runs with.
    LinkedWindows.Builder linked =
        LinkedWindows.builder(openTelemetry).settings(config.originals());
    if (config.repartitionByKey()) {
      orders =
          orders
              .processValues(linked.beforeRepartition(READER), Named.as(MARK_SOURCE_POSITION))
              .repartition(
                  Repartitioned.<String, Order>as(ORDERS_BY_KEY)
                      .withKeySerde(Serdes.String())
                      .withValueSerde(
                          DeferredRejection.serde(
                              Serdes.serdeFrom(
                                  OrderSerdes.orderSerializer(),
                                  OrderJson.internalOrderDeserializer()))));
    }
    LinkedWindows.Linked<String, Order> out = linked.link(orders, READER);
    out.batches()
        .to(
            config.batchesTopic(),
            Produced.with(Serdes.String(), OrderSerdes.linkedBatchSerde())
                .withName(ORDER_BATCHES_SINK));
    out.late()
        .to(
            config.lateTopic(),
            Produced.with(
                    Serdes.String(),
                    Serdes.serdeFrom(
                        OrderSerdes.orderSerializer(), OrderJson.internalOrderDeserializer()))
                .withName(LATE_ORDERS_SINK));
    return builder.build();
  }
}
