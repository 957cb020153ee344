package dev.spanlinks.app.orders;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.DeadLetterHandler;
import dev.spanlinks.streams.SpanlinksTelemetry;
import dev.spanlinks.streams.trace.MessagingConventions;
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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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
 *
 * <p>A fixture made {@link #restartable} can be {@link #restart restarted}: the driver closes and a
 * new one opens on the same state, with the wall clock where it was, so only what the stores hold
 * survives. The test driver deletes its task directories when it closes, so a restartable fixture's
 * task directory is a symbolic link to a directory beside the application's: the driver deletes the
 * link (it does not follow links when it deletes) and the state stays.
 */
public final class TopologyFixture implements AutoCloseable {
  public static final String APPLICATION_ID = "spanlinks-test";
  public static final Instant WALL_CLOCK_START = Instant.parse("2026-03-01T00:00:00Z");

  public final InMemorySpanExporter spans = InMemorySpanExporter.create();
  public final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  public final OpenTelemetrySdk openTelemetry;
  public final TopologyTestDriver driver;
  public final TestInputTopic<String, byte[]> orders;

  /** The input topic with raw keys too: keys that are not UTF-8, or null. */
  public final TestInputTopic<byte[], byte[]> rawOrders;

  public final TestOutputTopic<String, OrderBatch> batches;
  public final TestOutputTopic<String, String> late;
  public final TestOutputTopic<byte[], byte[]> deadLetters;
  private final Path stateDir;
  private final Map<String, Object> settings;
  private final Sampler sampler;
  private final Function<SpanExporter, SpanProcessor> spanProcessor;
  private final boolean restartable;
  private Instant wallClock;

  public TopologyFixture(Path stateDir, Map<String, Object> settings) {
    this(stateDir, settings, Sampler.parentBased(Sampler.alwaysOn()));
  }

  public TopologyFixture(Path stateDir, Map<String, Object> settings, Sampler sampler) {
    this(stateDir, settings, sampler, SimpleSpanProcessor::create);
  }

  /**
   * @param spanProcessor what hands ended spans to the in-memory exporter: a batch span processor
   *     shows what a queue does to a close
   */
  public TopologyFixture(
      Path stateDir,
      Map<String, Object> settings,
      Sampler sampler,
      Function<SpanExporter, SpanProcessor> spanProcessor) {
    this(stateDir, settings, sampler, spanProcessor, WALL_CLOCK_START, false);
  }

  private TopologyFixture(
      Path stateDir,
      Map<String, Object> settings,
      Sampler sampler,
      Function<SpanExporter, SpanProcessor> spanProcessor,
      Instant wallClock,
      boolean restartable) {
    this.stateDir = stateDir;
    this.settings = Map.copyOf(settings);
    this.sampler = sampler;
    this.spanProcessor = spanProcessor;
    this.wallClock = wallClock;
    this.restartable = restartable;
    Map<String, Object> props = new HashMap<>();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    // The guarantee spanlinks ships. Under it the test driver shows no dead letter Kafka Streams
    // writes while it deserializes (Kafka 4.3.1, 4.4.0); spanlinks writes none there
    // (DeferredRejection), and a test that dead-letters a record fails if it ever does again.
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.putAll(settings);
    // The messaging names as the test chooses (the default's unless it says), not as the
    // environment running the tests says.
    Object optIn = props.remove(MessagingConventions.OPT_IN_PROPERTY);
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
    MessagingConventions.fromOptIn(optIn == null ? null : optIn.toString()).use(openTelemetry);
    Properties streamsProperties = config.streamsProperties();
    streamsProperties.put(DeadLetterHandler.OPEN_TELEMETRY_CONFIG, openTelemetry);
    if (restartable) {
      linkTaskDirectory(stateDir, config.applicationId());
    }
    driver =
        new TopologyTestDriver(
            OrdersTopology.build(config, openTelemetry), streamsProperties, wallClock);
    orders =
        driver.createInputTopic(
            config.ordersTopic(), new StringSerializer(), new ByteArraySerializer());
    rawOrders =
        driver.createInputTopic(
            config.ordersTopic(), new ByteArraySerializer(), new ByteArraySerializer());
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

  public TopologyFixture(Path stateDir) {
    this(stateDir, Map.of());
  }

  /**
   * A fixture whose driver's wall clock starts at {@code wallClock}: near {@link Instant#now()} for
   * tests that meet code reading the real clock (the dead-letter handler clamps timestamps with
   * it).
   */
  public static TopologyFixture startingAt(
      Path stateDir, Map<String, Object> settings, Instant wallClock) {
    return new TopologyFixture(
        stateDir,
        settings,
        Sampler.parentBased(Sampler.alwaysOn()),
        SimpleSpanProcessor::create,
        wallClock,
        false);
  }

  /** A fixture that {@link #restart} can close and open again on the same state. */
  public static TopologyFixture restartable(
      Path stateDir, Map<String, Object> settings, Instant wallClock) {
    return new TopologyFixture(
        stateDir,
        settings,
        Sampler.parentBased(Sampler.alwaysOn()),
        SimpleSpanProcessor::create,
        wallClock,
        true);
  }

  /**
   * Closes this fixture (read its outputs and spans first) and opens a new one on the same state
   * directory, with the wall clock where this one left it. Nothing in memory survives: not the
   * processors, not the SDK, not the record cache.
   */
  public TopologyFixture restart() {
    if (!restartable) {
      throw new IllegalStateException("made without restartable(...)");
    }
    close();
    return new TopologyFixture(stateDir, settings, sampler, spanProcessor, wallClock, true);
  }

  /** Where the task's state lives across restarts: beside the application directory. */
  private static void linkTaskDirectory(Path stateDir, String applicationId) {
    try {
      Path kept = Files.createDirectories(stateDir.resolve("kept-task-0_0"));
      Path taskDir = Files.createDirectories(stateDir.resolve(applicationId)).resolve("0_0");
      if (!Files.isSymbolicLink(taskDir)) {
        Files.createSymbolicLink(taskDir, kept);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot link the task directory", e);
    }
  }

  public void send(TestOrder order) {
    orders.pipeInput(order.toRecord());
  }

  public void send(TestRecord<String, byte[]> record) {
    orders.pipeInput(record);
  }

  public void advanceWallClock(Duration duration) {
    driver.advanceWallClockTime(duration);
    wallClock = wallClock.plus(duration);
  }

  public Instant wallClock() {
    return wallClock;
  }

  public List<SpanData> finishedSpans() {
    return spans.getFinishedSpanItems();
  }

  @Override
  public void close() {
    driver.close();
    openTelemetry.close();
  }
}
