package dev.spanlinks.streams;

import dev.spanlinks.streams.trace.MessagingConventions;
import dev.spanlinks.streams.trace.ValidContextsSpanProcessor;
import dev.spanlinks.streams.trace.internals.BatchSpans;
import dev.spanlinks.streams.trace.internals.BatchTracer;
import dev.spanlinks.streams.trace.internals.DeterministicIdGenerator;
import dev.spanlinks.streams.trace.internals.FailFastSpanExporter;
import dev.spanlinks.streams.trace.internals.LinkCapacity;
import dev.spanlinks.streams.trace.internals.SizeBoundedSpanExporter;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.SpanLimits;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Creates the OpenTelemetry SDK at the edge of the application, once, through OpenTelemetry's
 * autoconfigure module: every {@code OTEL_*} variable and {@code otel.*} property works as in any
 * OpenTelemetry SDK. spanlinks only changes defaults and adds its id generator.
 *
 * <p>The SDK's link limit defaults to 128 and silently drops links past it. So the limit defaults
 * to {@code spanlinks.links.per.span}, and a user's lower {@code OTEL_SPAN_LINK_COUNT_LIMIT} fails
 * start-up instead of losing links.
 */
public final class SpanlinksTelemetry {
  static final String LINK_COUNT_LIMIT = "otel.span.link.count.limit";
  static final String SERVICE_NAME = "otel.service.name";
  static final String SPAN_QUEUE_SIZE = "otel.bsp.max.queue.size";

  /**
   * The batch span processor's queue, unless {@code OTEL_BSP_MAX_QUEUE_SIZE} says otherwise. The
   * SDK's default of 2,048 drops every span past it. A closing stream thread keeps at most three
   * rounds of 170 ended spans in the queue (it waits for an earlier round before handing over the
   * next), so 2,048 holds four stream threads closing at once and the fifth lost spans; 16,384
   * holds 32. The queue only holds references: spans are kept alive by the rounds, not by its size.
   */
  static final int DEFAULT_SPAN_QUEUE_SIZE = 16_384;

  /**
   * Chooses the sender of OTLP over HTTP when more than one is on the class path. The default,
   * OkHttp, leaves Nagle's algorithm on: a request whose body goes out in a second write then waits
   * for the collector's delayed acknowledgement, 40 ms on Linux, and the stream thread waits for
   * the exporter before each commit (measured 11-47 ms a request on loopback with OkHttp, 1-2 ms
   * with the JDK's HttpClient, which sets TCP_NODELAY). Read by the OpenTelemetry SDK from a system
   * property or {@code IO_OPENTELEMETRY_SDK_COMMON_EXPORT_HTTPSENDERPROVIDER}. OTLP/gRPC still uses
   * OkHttp, the only gRPC sender here.
   */
  static final String HTTP_SENDER_PROVIDER =
      "io.opentelemetry.sdk.common.export.HttpSenderProvider";

  static final String JDK_HTTP_SENDER =
      "io.opentelemetry.exporter.sender.jdk.internal.JdkHttpSenderProvider";

  /**
   * The OTLP exporter's own retries, off unless the user turns them on ({@code
   * OTEL_JAVA_EXPORTER_OTLP_RETRY_DISABLED=false}): a close waits for its spans, and retries with
   * back-off held each close for seconds when the endpoint refused. {@link FailFastSpanExporter}
   * retries instead, on a schedule, without holding anything back.
   */
  static final String OTLP_RETRY_DISABLED = "otel.java.exporter.otlp.retry.disabled";

  private static final Pattern ENDPOINT = Pattern.compile("endpoint=([^,}\\s]+)");

  private SpanlinksTelemetry() {}

  /**
   * The SDK as {@code OTEL_*} variables and {@code otel.*} system properties configure it. The
   * caller owns it: close it after Kafka Streams, so the last spans are exported.
   *
   * @throws ConfigurationException when the configured link limit is below {@code linksPerSpan}
   */
  public static OpenTelemetrySdk autoConfigure(int linksPerSpan) {
    return autoConfigure(linksPerSpan, UnaryOperator.identity());
  }

  /**
   * As {@link #autoConfigure(int)}, for {@code streamThreads} stream threads: the span queue must
   * hold what they can all keep in it at once.
   *
   * @throws ConfigurationException when the link limit is below {@code linksPerSpan}, or {@code
   *     OTEL_BSP_MAX_QUEUE_SIZE} below what the threads can fill
   */
  public static OpenTelemetrySdk autoConfigure(int linksPerSpan, int streamThreads) {
    return autoConfigure(
        linksPerSpan,
        builder ->
            builder.addTracerProviderCustomizer(
                (tracerProvider, config) -> {
                  requireSpanQueue(
                      config.getInt(SPAN_QUEUE_SIZE, DEFAULT_SPAN_QUEUE_SIZE), streamThreads);
                  return tracerProvider;
                }));
  }

  /**
   * Refuses a span queue the stream threads can overfill: the batch span processor drops what does
   * not fit, and every span a close ends must reach the exporter.
   */
  static void requireSpanQueue(int queueSize, int streamThreads) {
    long needed = (long) BatchTracer.MAX_QUEUED_SPANS_PER_THREAD * streamThreads;
    if (queueSize < needed) {
      throw new ConfigurationException(
          "OTEL_BSP_MAX_QUEUE_SIZE ("
              + SPAN_QUEUE_SIZE
              + ") is "
              + queueSize
              + ", below what "
              + streamThreads
              + " stream threads closing at once keep queued ("
              + BatchTracer.MAX_QUEUED_SPANS_PER_THREAD
              + " each = "
              + needed
              + "): the span processor would drop spans. Raise it, or leave it unset ("
              + DEFAULT_SPAN_QUEUE_SIZE
              + ").");
    }
  }

  /**
   * As {@link #autoConfigure(int)}, with a last say for the caller: another exporter or span
   * processor, say, or different defaults.
   */
  public static OpenTelemetrySdk autoConfigure(
      int linksPerSpan, UnaryOperator<AutoConfiguredOpenTelemetrySdkBuilder> customizer) {
    preferJdkHttpSender();
    List<FailFastSpanExporter> exporters = new CopyOnWriteArrayList<>();
    AtomicReference<MessagingConventions> conventions =
        new AtomicReference<>(MessagingConventions.OLD);
    AutoConfiguredOpenTelemetrySdkBuilder builder =
        AutoConfiguredOpenTelemetrySdk.builder()
            // The caller closes the SDK after Kafka Streams, so the last batches' spans are
            // flushed; autoconfigure's own hook would race with that.
            .disableShutdownHook()
            .addPropertiesSupplier(
                () ->
                    Map.of(
                        SERVICE_NAME,
                        "spanlinks-streams",
                        LINK_COUNT_LIMIT,
                        Integer.toString(linkLimit(linksPerSpan)),
                        SPAN_QUEUE_SIZE,
                        Integer.toString(DEFAULT_SPAN_QUEUE_SIZE),
                        OTLP_RETRY_DISABLED,
                        "true"))
            // Requests bounded by bytes, not by the processor's span count: see the class. And
            // an exporter that fails is not waited for round after round: FailFastSpanExporter.
            .addSpanExporterCustomizer(
                (exporter, config) -> {
                  FailFastSpanExporter failFast =
                      new FailFastSpanExporter(
                          new SizeBoundedSpanExporter(
                              exporter, SizeBoundedSpanExporter.DEFAULT_MAX_REQUEST_BYTES),
                          destination(exporter),
                          attemptTimeoutMs(config));
                  exporters.add(failFast);
                  return failFast;
                })
            .addTracerProviderCustomizer(
                (tracerProvider, config) -> {
                  // autoconfigure has applied every OTEL_SPAN_* limit already; only check the one.
                  requireLinkLimit(configuredLimit(config), linksPerSpan);
                  conventions.set(MessagingConventions.fromConfig(config));
                  return tracerProvider
                      // The same limits, sized to the links of each batch span: see the class.
                      .setSpanLimits(new LinkCapacity(LinkCapacity.fromConfig(config)))
                      .setIdGenerator(new DeterministicIdGenerator())
                      .addSpanProcessor(ValidContextsSpanProcessor.INSTANCE);
                });
    OpenTelemetrySdk sdk = customizer.apply(builder).build().getOpenTelemetrySdk();
    // OTEL_SEMCONV_STABILITY_OPT_IN as this SDK's configuration says, properties suppliers too.
    conventions.get().use(sdk);
    sdk.getMeter(BatchTracer.INSTRUMENTATION_SCOPE)
        .counterBuilder("spanlinks.spans.dropped")
        .setDescription(
            "Spans not delivered: the exporter answered with a failure, or export was failing"
                + " when they ended (they were dropped without waiting)")
        .setUnit("{span}")
        .buildWithCallback(
            counter ->
                counter.record(
                    exporters.stream().mapToLong(FailFastSpanExporter::droppedSpans).sum()));
    return sdk;
  }

  /**
   * Spans that the SDKs made here did not deliver, in this JVM: {@code spanlinks.spans.dropped}
   * summed over them.
   */
  public static long droppedSpans() {
    return FailFastSpanExporter.droppedSpansInJvm();
  }

  /** Where an exporter sends spans, as it says itself: the OTLP exporters name their endpoint. */
  static String destination(SpanExporter exporter) {
    Matcher endpoint = ENDPOINT.matcher(exporter.toString());
    return endpoint.find() ? endpoint.group(1) : exporter.getClass().getSimpleName();
  }

  /**
   * How long an export may take before export counts as failing: the OTLP exporter's own timeout
   * ({@code OTEL_EXPORTER_OTLP_TIMEOUT}, 10 s by default), and a second for its answer to arrive.
   */
  static long attemptTimeoutMs(ConfigProperties config) {
    Duration timeout =
        config.getDuration(
            "otel.exporter.otlp.traces.timeout",
            config.getDuration("otel.exporter.otlp.timeout", Duration.ofSeconds(10)));
    return timeout.toMillis() + 1_000;
  }

  /**
   * Selects the JDK's HTTP sender for OTLP over HTTP, unless the user chose one (see {@link
   * #HTTP_SENDER_PROVIDER}).
   */
  static void preferJdkHttpSender() {
    if (System.getProperty(HTTP_SENDER_PROVIDER) == null
        && System.getenv("IO_OPENTELEMETRY_SDK_COMMON_EXPORT_HTTPSENDERPROVIDER") == null) {
      System.setProperty(HTTP_SENDER_PROVIDER, JDK_HTTP_SENDER);
    }
  }

  /**
   * Configures a tracer provider for batch spans: deterministic ids, and a link limit of {@code
   * linksPerSpan} plus the chunk-trace links, each batch span's link list sized to its links
   * ({@link LinkCapacity}). For SDKs built by hand, such as in tests.
   */
  public static SdkTracerProviderBuilder withBatchSupport(
      SdkTracerProviderBuilder builder, int linksPerSpan) {
    return builder
        .setSpanLimits(
            new LinkCapacity(
                SpanLimits.builder().setMaxNumberOfLinks(linkLimit(linksPerSpan)).build()))
        .setIdGenerator(new DeterministicIdGenerator());
  }

  /** True when the OpenTelemetry Java agent is attached to this JVM. */
  public static boolean javaAgentAttached() {
    try {
      Class.forName("io.opentelemetry.javaagent.bootstrap.AgentInitializer", false, null);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /**
   * The Java agent's SDK, through the API the agent bridges. Batch spans must be the agent's own
   * spans: only then does its Kafka producer instrumentation see the batch span as current and
   * parent its send span on it, instead of on the record that closed the window. The agent's SDK
   * has its own id generator (batch ids are then random) and reads the same {@code OTEL_*}
   * settings, so its link limit must still reach {@code linksPerSpan}.
   *
   * @throws ConfigurationException when the agent's link limit is below {@code linksPerSpan}
   */
  public static OpenTelemetry fromJavaAgent(int linksPerSpan) {
    String configured = System.getProperty(LINK_COUNT_LIMIT);
    if (configured == null) {
      configured = System.getenv("OTEL_SPAN_LINK_COUNT_LIMIT");
    }
    int limit =
        configured == null
            ? SpanLimits.getDefault().getMaxNumberOfLinks()
            : Integer.parseInt(configured.trim());
    requireLinkLimit(limit, linksPerSpan);
    return GlobalOpenTelemetry.get();
  }

  /**
   * As {@link #fromJavaAgent(int)}, for {@code streamThreads} stream threads: the agent's span
   * queue (2,048 unless {@code OTEL_BSP_MAX_QUEUE_SIZE} says otherwise) must hold what they can
   * fill.
   */
  public static OpenTelemetry fromJavaAgent(int linksPerSpan, int streamThreads) {
    String configured = System.getProperty(SPAN_QUEUE_SIZE);
    if (configured == null) {
      configured = System.getenv("OTEL_BSP_MAX_QUEUE_SIZE");
    }
    requireSpanQueue(
        configured == null ? AGENT_SPAN_QUEUE_SIZE : Integer.parseInt(configured.trim()),
        streamThreads);
    return fromJavaAgent(linksPerSpan);
  }

  /** The SDK's own span queue size, which the Java agent keeps. */
  private static final int AGENT_SPAN_QUEUE_SIZE = 2_048;

  /**
   * The SDK link limit spanlinks needs: a chunk of order links, plus the batch span's links to its
   * chunk traces (see {@link BatchSpans#MAX_CHUNK_TRACES}).
   */
  static int linkLimit(int linksPerSpan) {
    return linksPerSpan + BatchSpans.MAX_CHUNK_TRACES;
  }

  private static void requireLinkLimit(int linkLimit, int linksPerSpan) {
    if (linkLimit < linkLimit(linksPerSpan)) {
      throw new ConfigurationException(
          "OTEL_SPAN_LINK_COUNT_LIMIT ("
              + LINK_COUNT_LIMIT
              + ") is "
              + linkLimit
              + ", below spanlinks.links.per.span ("
              + linksPerSpan
              + ") + "
              + BatchSpans.MAX_CHUNK_TRACES
              + " (the batch span's links to its chunk traces) = "
              + linkLimit(linksPerSpan)
              + ": the SDK would silently drop links. Raise the limit or lower"
              + " spanlinks.links.per.span.");
    }
  }

  private static int configuredLimit(ConfigProperties config) {
    return config.getInt(LINK_COUNT_LIMIT, SpanLimits.getDefault().getMaxNumberOfLinks());
  }
}
