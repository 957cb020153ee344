package dev.spanlinks.streams;

import dev.spanlinks.streams.model.OrderBatch;
import dev.spanlinks.streams.model.OrderSerdes;
import dev.spanlinks.streams.trace.SpanlinksTelemetry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * A fresh topology in a {@link TopologyTestDriver}, with an SDK that exports to memory and the four
 * topics at hand. Each test makes its own; close it after.
 */
final class TopologyFixture implements AutoCloseable {
  static final String APPLICATION_ID = "spanlinks-test";
  static final Instant WALL_CLOCK_START = Instant.parse("2026-03-01T00:00:00Z");

  final InMemorySpanExporter spans = InMemorySpanExporter.create();
  final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  final OpenTelemetrySdk openTelemetry;
  final TopologyTestDriver driver;
  final TestInputTopic<String, byte[]> orders;
  final TestOutputTopic<String, OrderBatch> batches;
  final TestOutputTopic<String, String> late;
  final TestOutputTopic<byte[], byte[]> deadLetters;

  TopologyFixture(Path stateDir, Map<String, Object> settings) {
    this(stateDir, settings, Sampler.parentBased(Sampler.alwaysOn()));
  }

  TopologyFixture(Path stateDir, Map<String, Object> settings, Sampler sampler) {
    this(stateDir, settings, sampler, SimpleSpanProcessor::create);
  }

  /**
   * @param spanProcessor what hands ended spans to the in-memory exporter: a batch span processor
   *     shows what a queue does to a close
   */
  TopologyFixture(
      Path stateDir,
      Map<String, Object> settings,
      Sampler sampler,
      Function<SpanExporter, SpanProcessor> spanProcessor) {
    Map<String, Object> props = new HashMap<>();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    // The test driver has no transactions of its own: under exactly_once_v2 it never shows the
    // dead-letter records Kafka Streams sends while it deserializes (Kafka 4.3.1). The real
    // broker tests run exactly_once_v2.
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    props.putAll(settings);
    BatchConfig config = new BatchConfig(props);

    openTelemetry =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SpanlinksTelemetry.withBatchSupport(
                        SdkTracerProvider.builder(), config.linksPerSpan())
                    .setSampler(sampler)
                    .addSpanProcessor(spanProcessor.apply(spans))
                    .build())
            .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    Properties streamsProperties = config.streamsProperties();
    streamsProperties.put(DeadLetterHandler.OPEN_TELEMETRY_CONFIG, openTelemetry);
    driver =
        new TopologyTestDriver(
            BatchTopology.build(config, openTelemetry), streamsProperties, WALL_CLOCK_START);
    orders =
        driver.createInputTopic(
            config.ordersTopic(), new StringSerializer(), new ByteArraySerializer());
    batches =
        driver.createOutputTopic(
            config.batchesTopic(), new StringDeserializer(), OrderSerdes.orderBatchDeserializer());
    late =
        driver.createOutputTopic(
            config.lateTopic(), new StringDeserializer(), new StringDeserializer());
    deadLetters =
        driver.createOutputTopic(
            config.deadLetterTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  TopologyFixture(Path stateDir) {
    this(stateDir, Map.of());
  }

  void send(TestOrder order) {
    orders.pipeInput(order.toRecord());
  }

  void send(TestRecord<String, byte[]> record) {
    orders.pipeInput(record);
  }

  void advanceWallClock(Duration duration) {
    driver.advanceWallClockTime(duration);
  }

  List<SpanData> finishedSpans() {
    return spans.getFinishedSpanItems();
  }

  @Override
  public void close() {
    driver.close();
    openTelemetry.close();
  }
}
