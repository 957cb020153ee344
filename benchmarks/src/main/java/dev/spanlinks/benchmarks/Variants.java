package dev.spanlinks.benchmarks;

import dev.spanlinks.app.orders.Order;
import dev.spanlinks.app.orders.OrderSerdes;
import dev.spanlinks.app.orders.OrdersTopology;
import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.SpanlinksTelemetry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The topologies compared. All read the same orders with the same deserializer and event time; only
 * what they keep per window differs.
 */
final class Variants {
  static final String ORDERS = "orders";
  static final String OUT = "out";

  private Variants() {}

  /** spanlinks itself, with an SDK that records spans and exports them nowhere. */
  static Topology ours(BatchConfig config, OpenTelemetrySdk sdk) {
    return OrdersTopology.build(config, sdk);
  }

  /**
   * The SDK spanlinks ships, autoconfigured, exporting OTLP over HTTP to {@code endpoint}. Metrics
   * and logs are off: the benchmark's receiver takes traces only.
   */
  static OpenTelemetrySdk exportingSdk(int linksPerSpan, String endpoint) {
    return SpanlinksTelemetry.autoConfigure(
        linksPerSpan,
        builder ->
            builder.addPropertiesSupplier(
                () ->
                    Map.of(
                        "otel.traces.exporter", "otlp",
                        "otel.exporter.otlp.protocol", "http/protobuf",
                        "otel.exporter.otlp.endpoint", endpoint,
                        "otel.metrics.exporter", "none",
                        "otel.logs.exporter", "none")));
  }

  static OpenTelemetrySdk discardingSdk(int linksPerSpan) {
    SpanExporter discard =
        new SpanExporter() {
          @Override
          public CompletableResultCode export(Collection<SpanData> spans) {
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
          }
        };
    return OpenTelemetrySdk.builder()
        .setTracerProvider(
            SpanlinksTelemetry.withBatchSupport(SdkTracerProvider.builder(), linksPerSpan)
                .addSpanProcessor(BatchSpanProcessor.builder(discard).build())
                .build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }

  /**
   * The baselines' window retention: longer than the inputs' last window and their closing orders
   * two hours later.
   */
  static final Duration COUNT_RETENTION = Duration.ofHours(6);

  /** The untraced baseline: a DSL windowed count, emitted when the window closes. */
  static Topology dslCount() {
    return dslCount(ORDERS, OUT);
  }

  static Topology dslCount(String ordersTopic, String outTopic) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(ordersTopic, consumed())
        .groupByKey(Grouped.as("count-group"))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofHours(1), Duration.ofMinutes(5)))
        .emitStrategy(EmitStrategy.onWindowClose())
        .count(
            Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("count-store")
                .withKeySerde(Serdes.String())
                .withValueSerde(Serdes.Long())
                // Window stores drop what is older than their retention (size + grace: 65 min)
                // behind stream time, and the inputs' closing orders come two hours after the
                // last window: it would be gone, segment by segment, before it is emitted.
                .withRetention(COUNT_RETENTION))
        .toStream(Named.as("count-out"))
        .map((window, count) -> KeyValue.pair(window.key(), count), Named.as("count-unwindow"))
        .to(outTopic, Produced.with(Serdes.String(), Serdes.Long()).withName("count-sink"));
    return builder.build();
  }

  /** The exactly-once ceiling: every record read and written to a topic as it is. */
  static Topology passThrough(String inputTopic, String outputTopic) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(
            inputTopic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("pass-in"))
        .to(
            outputTopic,
            Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("pass-out"));
    return builder.build();
  }

  /**
   * The design a user writes first: every order's trace context appended to a list inside a DSL
   * aggregate. The DSL hands aggregates no headers, so a context-sized string stands in for each
   * traceparent (55 characters, as on the wire).
   */
  static Topology listAggregate() {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(ORDERS, consumed())
        .groupByKey(Grouped.as("list-group"))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofHours(1), Duration.ofMinutes(5)))
        .emitStrategy(EmitStrategy.onWindowClose())
        .aggregate(
            ArrayList<String>::new,
            (key, order, contexts) -> {
              contexts.add(String.format("00-%032d-%016d-01", order.orderId().hashCode(), 0));
              return contexts;
            },
            Materialized
                .<String, List<String>,
                    org.apache.kafka.streams.state.WindowStore<
                        org.apache.kafka.common.utils.Bytes, byte[]>>
                    as("list-store")
                .withKeySerde(Serdes.String())
                .withValueSerde(listSerde())
                .withRetention(COUNT_RETENTION))
        .toStream(Named.as("list-out"))
        .map(
            (window, list) -> KeyValue.pair(window.key(), (long) list.size()),
            Named.as("list-unwindow"))
        .to(OUT, Produced.with(Serdes.String(), Serdes.Long()).withName("list-sink"));
    return builder.build();
  }

  private static Consumed<String, Order> consumed() {
    TimestampExtractor createdAt =
        (record, partitionTime) ->
            record.value() instanceof Order order && order.createdAt() != null
                ? order.createdAt().toEpochMilli()
                : record.timestamp();
    return Consumed.with(
            Serdes.String(),
            Serdes.serdeFrom(OrderSerdes.orderSerializer(), OrderSerdes.orderDeserializer()))
        .withTimestampExtractor(createdAt)
        .withName("orders-in");
  }

  @SuppressWarnings("unchecked")
  private static Serde<List<String>> listSerde() {
    return Serdes.serdeFrom(
        (topic, list) -> String.join("\n", list).getBytes(StandardCharsets.UTF_8),
        (topic, bytes) ->
            bytes == null || bytes.length == 0
                ? new ArrayList<>()
                : new ArrayList<>(List.of(new String(bytes, StandardCharsets.UTF_8).split("\n"))));
  }

  /**
   * The DSL's onWindowClose checks for closed windows at most once per wall-clock second, and only
   * when a record arrives: the last windows of a finite input would never be emitted. This internal
   * Kafka Streams setting makes the baselines check on every record.
   */
  static final String DSL_EMIT_INTERVAL = "__emit.interval.ms.kstreams.windowed.aggregation__";

  static Map<String, Object> baseProps(String applicationId) {
    return Map.of(
        "application.id",
        applicationId,
        "bootstrap.servers",
        "unused:9092",
        "processing.guarantee",
        "at_least_once",
        DSL_EMIT_INTERVAL,
        0L);
  }
}
