package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.spanlinks.streams.trace.internals.BatchIds;
import dev.spanlinks.streams.trace.internals.BatchSpanSettings;
import dev.spanlinks.streams.trace.internals.BatchSpans;
import dev.spanlinks.streams.trace.internals.BatchTracer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The autoconfigured SDK. System properties stand in for OTEL_* variables: autoconfigure reads
 * both, and system properties win over the defaults spanlinks supplies, as variables do.
 */
class SpanlinksTelemetryTest {
  private static final Map<String, String> NO_EXPORT =
      Map.of(
          "otel.traces.exporter", "none",
          "otel.metrics.exporter", "none",
          "otel.logs.exporter", "none");

  @BeforeEach
  void noExporters() {
    NO_EXPORT.forEach(System::setProperty);
  }

  @AfterEach
  void clearProperties() {
    NO_EXPORT.keySet().forEach(System::clearProperty);
    System.clearProperty("otel.span.link.count.limit");
    System.clearProperty("otel.bsp.max.queue.size");
  }

  @Test
  void shouldFailAtStartUpWhenTheSpanQueueIsSmallerThanTheThreadsCanFill() {
    System.setProperty("otel.bsp.max.queue.size", "1000");
    assertThatThrownBy(() -> SpanlinksTelemetry.autoConfigure(1000, 2))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("OTEL_BSP_MAX_QUEUE_SIZE (otel.bsp.max.queue.size) is 1000")
        .hasMessageContaining("2 stream threads closing at once keep queued (510 each = 1020)");
    SpanlinksTelemetry.autoConfigure(1000, 1).close();
    System.clearProperty("otel.bsp.max.queue.size");
    SpanlinksTelemetry.autoConfigure(1000, 32).close(); // the default queue holds 32
    assertThatThrownBy(() -> SpanlinksTelemetry.autoConfigure(1000, 33))
        .isInstanceOf(ConfigurationException.class);
  }

  @Test
  void shouldFailAtStartUpWhenUserLinkLimitIsBelowLinksPerSpan() {
    System.setProperty("otel.span.link.count.limit", "128");
    assertThatThrownBy(() -> SpanlinksTelemetry.autoConfigure(1000))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("OTEL_SPAN_LINK_COUNT_LIMIT")
        .hasMessageContaining("128")
        .hasMessageContaining("spanlinks.links.per.span (1000) + 1024")
        .hasMessageContaining("= 2024");
  }

  @Test
  void shouldFailAtStartUpWhenUserLinkLimitLeavesNoRoomForChunkTraceLinks() {
    System.setProperty("otel.span.link.count.limit", "1000");
    assertThatThrownBy(() -> SpanlinksTelemetry.autoConfigure(1000))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("= 2024");
  }

  @Test
  void shouldKeepEveryLinkUpToLinksPerSpanAndUseDeterministicIds() {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (OpenTelemetrySdk sdk =
        SpanlinksTelemetry.autoConfigure(
            300,
            builder ->
                builder.addTracerProviderCustomizer(
                    (provider, config) ->
                        provider.addSpanProcessor(SimpleSpanProcessor.create(exporter))))) {
      BatchTracer tracer = new BatchTracer(sdk, new BatchSpanSettings("app", "orders", 300, false));
      BatchSpans spans =
          tracer.begin(
              "eu",
              java.time.Instant.ofEpochMilli(0),
              java.time.Instant.ofEpochMilli(3_600_000),
              0);
      for (int n = 1; n <= 300; n++) {
        spans.link(
            new dev.spanlinks.streams.state.Contribution(
                "o-" + n,
                0L,
                0,
                n,
                java.math.BigDecimal.ONE,
                "EUR",
                SpanContext.createFromRemoteParent(
                    String.format("%032x", n),
                    String.format("%016x", n),
                    TraceFlags.getSampled(),
                    TraceState.getDefault()),
                0));
      }
      Span batch = spans.finish(300, 0, 0);
      batch.end();

      SpanData exported = exporter.getFinishedSpanItems().get(0);
      assertThat(exported.getLinks()).hasSize(300);
      assertThat(exported.getTotalRecordedLinks()).isEqualTo(300);
      BatchIds ids = new BatchIds("app", "eu", 0L, 0);
      assertThat(batch.getSpanContext().getTraceId()).isEqualTo(ids.traceId());
      assertThat(batch.getSpanContext().getSpanId()).isEqualTo(ids.spanId(0));
    }
  }

  @Test
  void shouldExportOverHttpWithTheJdkSenderInRequestsBoundedByBytesNotSpans() throws Exception {
    List<Integer> requestBytes = new CopyOnWriteArrayList<>();
    HttpServer collector =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    collector.createContext(
        "/v1/traces",
        exchange -> {
          try (exchange) {
            requestBytes.add(exchange.getRequestBody().readAllBytes().length);
            exchange.sendResponseHeaders(200, -1);
          }
        });
    collector.start();
    System.clearProperty(SpanlinksTelemetry.HTTP_SENDER_PROVIDER);
    System.setProperty("otel.traces.exporter", "otlp");
    System.setProperty("otel.exporter.otlp.protocol", "http/protobuf");
    System.setProperty(
        "otel.exporter.otlp.endpoint", "http://127.0.0.1:" + collector.getAddress().getPort());
    try (OpenTelemetrySdk sdk = SpanlinksTelemetry.autoConfigure(1000)) {
      assertThat(System.getProperty(SpanlinksTelemetry.HTTP_SENDER_PROVIDER))
          .isEqualTo(SpanlinksTelemetry.JDK_HTTP_SENDER);
      var tracer = sdk.getTracer("test");
      for (int n = 0; n < 500; n++) {
        tracer.spanBuilder("process orders").startSpan().end();
      }
      assertThat(sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS).isSuccess())
          .isTrue();
      // 500 small spans: one request of the SDK's 512, where 8 spans a request made 63.
      assertThat(requestBytes).hasSize(1);
      assertThat(requestBytes.get(0)).isGreaterThan(500 * 20);
    } finally {
      collector.stop(0);
      List.of("otel.exporter.otlp.protocol", "otel.exporter.otlp.endpoint")
          .forEach(System::clearProperty);
      System.clearProperty(SpanlinksTelemetry.HTTP_SENDER_PROVIDER);
    }
  }

  @Test
  void shouldQueueEveryRoundOfEightThreadsClosingAtOnce() throws Exception {
    // A collector that takes 50 ms a request: every thread's rounds are queued at once, about 4,000
    // spans, twice the SDK's own default queue (which dropped about half of them).
    HttpServer collector =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    collector.createContext(
        "/v1/traces",
        exchange -> {
          try (exchange) {
            exchange.getRequestBody().readAllBytes();
            Thread.sleep(50);
            exchange.sendResponseHeaders(200, -1);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    collector.start();
    System.setProperty("otel.traces.exporter", "otlp");
    System.setProperty("otel.exporter.otlp.protocol", "http/protobuf");
    System.setProperty(
        "otel.exporter.otlp.endpoint", "http://127.0.0.1:" + collector.getAddress().getPort());
    AtomicLong exported = new AtomicLong();
    int threads = 8;
    int spansPerThread = 2_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (OpenTelemetrySdk sdk =
        SpanlinksTelemetry.autoConfigure(
            1000,
            builder ->
                builder.addSpanExporterCustomizer(
                    (exporter, config) -> new CountingExporter(exporter, exported)))) {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> closes = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        closes.add(
            pool.submit(
                () -> {
                  start.await();
                  BatchTracer batchTracer =
                      new BatchTracer(sdk, new BatchSpanSettings("app", "orders", 1000, false));
                  var tracer = sdk.getTracer("test");
                  for (int n = 0; n < spansPerThread; n++) {
                    tracer.spanBuilder("process orders").startSpan().end();
                    batchTracer.spanEnded();
                  }
                  batchTracer.exportEndedSpans();
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> close : closes) {
        close.get(60, TimeUnit.SECONDS);
      }

      assertThat(exported.get()).isEqualTo((long) threads * spansPerThread);
    } finally {
      pool.shutdownNow();
      collector.stop(0);
      List.of("otel.exporter.otlp.protocol", "otel.exporter.otlp.endpoint")
          .forEach(System::clearProperty);
    }
  }

  /** Counts the spans the batch span processor hands to the exporter (dropped ones never are). */
  private record CountingExporter(SpanExporter delegate, AtomicLong count) implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      count.addAndGet(spans.size());
      return delegate.export(spans);
    }

    @Override
    public CompletableResultCode flush() {
      return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
      return delegate.shutdown();
    }
  }

  @Test
  void shouldNotWaitRoundAfterRoundForACollectorThatRefuses() throws Exception {
    AtomicLong requests = new AtomicLong();
    HttpServer collector =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    collector.createContext(
        "/v1/traces",
        exchange -> {
          try (exchange) {
            requests.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(503, -1);
          }
        });
    collector.start();
    try {
      long dropped = exportRounds("http://127.0.0.1:" + collector.getAddress().getPort(), Map.of());
      assertThat(requests.get())
          .as("one request, not the exporter's five retries nor one a round")
          .isEqualTo(1);
      assertThat(dropped).as("every span counted as not delivered").isEqualTo(ROUNDS * 100L);
    } finally {
      collector.stop(0);
    }
  }

  @Test
  void shouldNotWaitRoundAfterRoundForACollectorThatNeverAnswers() throws Exception {
    List<Socket> held = new CopyOnWriteArrayList<>();
    try (ServerSocket blackHole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    held.add(blackHole.accept()); // read nothing, answer nothing
                  }
                } catch (java.io.IOException closed) {
                  // the test is over
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      long dropped =
          exportRounds(
              "http://127.0.0.1:" + blackHole.getLocalPort(),
              Map.of("otel.exporter.otlp.timeout", "300"));
      assertThat(held).as("one connection: later rounds were not sent").hasSize(1);
      assertThat(dropped).isEqualTo(ROUNDS * 100L);
    } finally {
      for (Socket socket : held) {
        socket.close();
      }
    }
  }

  private static final int ROUNDS = 20;

  /**
   * Ends {@value #ROUNDS} rounds of 100 spans, each flushed as a close does, through the
   * autoconfigured OTLP/HTTP exporter to {@code endpoint}; returns the spans counted as dropped.
   */
  private static long exportRounds(String endpoint, Map<String, String> extra) throws Exception {
    Map<String, String> settings = new java.util.HashMap<>(extra);
    settings.put("otel.traces.exporter", "otlp");
    settings.put("otel.exporter.otlp.protocol", "http/protobuf");
    settings.put("otel.exporter.otlp.endpoint", endpoint);
    settings.forEach(System::setProperty);
    long droppedBefore = SpanlinksTelemetry.droppedSpans();
    try (OpenTelemetrySdk sdk = SpanlinksTelemetry.autoConfigure(1000)) {
      var tracer = sdk.getTracer("test");
      for (int round = 0; round < ROUNDS; round++) {
        for (int n = 0; n < 100; n++) {
          tracer.spanBuilder("process orders").startSpan().end();
        }
        // The SDK may hand back the flush just completed, which covers none of this round: flush
        // until the round is accounted for (every span is counted before its export answers).
        long expected = (round + 1) * 100L;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (SpanlinksTelemetry.droppedSpans() - droppedBefore < expected
            && System.nanoTime() < deadline) {
          sdk.getSdkTracerProvider().forceFlush().join(1, TimeUnit.SECONDS);
        }
      }
      return SpanlinksTelemetry.droppedSpans() - droppedBefore;
    } finally {
      settings.keySet().forEach(System::clearProperty);
      NO_EXPORT.forEach(System::setProperty);
    }
  }

  @Test
  void shouldLeaveAnHttpSenderTheUserChoseAlone() {
    System.setProperty(SpanlinksTelemetry.HTTP_SENDER_PROVIDER, "user.Choice");
    try {
      SpanlinksTelemetry.preferJdkHttpSender();
      assertThat(System.getProperty(SpanlinksTelemetry.HTTP_SENDER_PROVIDER))
          .isEqualTo("user.Choice");
    } finally {
      System.clearProperty(SpanlinksTelemetry.HTTP_SENDER_PROVIDER);
    }
  }
}
