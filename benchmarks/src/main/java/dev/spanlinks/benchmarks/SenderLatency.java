package dev.spanlinks.benchmarks;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The time one OTLP/HTTP export request takes, by HTTP sender: OkHttp (the SDK's default) against
 * the JDK's HttpClient (the one spanlinks selects), to the benchmark's receiver in a child JVM on
 * loopback. Requests of 8 batch spans of 20 links each (offset and a UUID order id per link), as
 * spanlinks sent them before it sized requests by bytes. The senders alternate, round by round.
 */
final class SenderLatency {
  private static final String PROVIDER = "io.opentelemetry.sdk.common.export.HttpSenderProvider";
  private static final Map<String, String> SENDERS =
      Map.of(
          "OkHttp",
          "io.opentelemetry.exporter.sender.okhttp.internal.OkHttpHttpSenderProvider",
          "JDK HttpClient",
          "io.opentelemetry.exporter.sender.jdk.internal.JdkHttpSenderProvider");
  private static final int SPANS = 800;
  private static final int SPANS_PER_REQUEST = 8;
  private static final int LINKS = 20;

  private SenderLatency() {}

  static void run(int rounds, PrintStream out) throws Exception {
    out.printf(
        "## OTLP/HTTP request time by sender (%d requests of %d spans x %d links a round,"
            + " loopback, receiver in a child JVM)%n%n",
        SPANS / SPANS_PER_REQUEST, SPANS_PER_REQUEST, LINKS);
    out.println("| round | sender | ms per request |");
    out.println("|---:|---|---:|");
    Map<String, List<Double>> results = new TreeMap<>();
    try (OtlpLinkReceiver receiver = new OtlpLinkReceiver()) {
      for (int round = 0; round <= rounds; round++) {
        List<String> order = new ArrayList<>(SENDERS.keySet());
        Collections.sort(order);
        if (round % 2 == 1) {
          Collections.reverse(order);
        }
        for (String sender : order) {
          double ms = msPerRequest(SENDERS.get(sender), receiver.endpoint());
          // Round 0 warms both up and is not counted.
          if (round > 0) {
            results.computeIfAbsent(sender, s -> new ArrayList<>()).add(ms);
            out.printf(Locale.ROOT, "| %d | %s | %.1f |%n", round, sender, ms);
          }
        }
      }
    } finally {
      System.clearProperty(PROVIDER);
    }
    out.println();
    results.forEach(
        (sender, ms) -> {
          List<Double> sorted = new ArrayList<>(ms);
          Collections.sort(sorted);
          out.printf(
              Locale.ROOT,
              "%s: median %.1f ms per request (min %.1f, max %.1f)%n",
              sender,
              sorted.get(sorted.size() / 2),
              sorted.get(0),
              sorted.get(sorted.size() - 1));
        });
    out.println();
  }

  /** Exports one round through a fresh exporter built with {@code provider}. */
  private static double msPerRequest(String senderProvider, String endpoint) {
    // The SDK reads the property when it builds the exporter: each exporter keeps its sender.
    System.setProperty(PROVIDER, senderProvider);
    OtlpHttpSpanExporter exporter =
        OtlpHttpSpanExporter.builder().setEndpoint(endpoint + "/v1/traces").build();
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .addSpanProcessor(
                BatchSpanProcessor.builder(exporter)
                    .setMaxExportBatchSize(SPANS_PER_REQUEST)
                    .setScheduleDelay(Duration.ofHours(1))
                    .build())
            .build();
    try {
      Tracer tracer = provider.get("sender-latency");
      // Links and attributes are built before the clock starts; it runs from the first span's
      // end until every request has been answered.
      List<SpanBuilder> builders = new ArrayList<>();
      for (int n = 0; n < SPANS; n++) {
        SpanBuilder builder = tracer.spanBuilder("process orders");
        for (int l = 0; l < LINKS; l++) {
          builder.addLink(
              SpanContext.create(
                  String.format(Locale.ROOT, "%032x", 1 + n * LINKS + l),
                  String.format(Locale.ROOT, "%016x", 1 + l),
                  TraceFlags.getSampled(),
                  TraceState.getDefault()),
              Attributes.of(
                  AttributeKey.longKey("messaging.kafka.offset"),
                  (long) n * LINKS + l,
                  AttributeKey.stringKey("spanlinks.order.id"),
                  UUID.randomUUID().toString()));
        }
        builders.add(builder);
      }
      long start = System.nanoTime();
      builders.forEach(builder -> builder.startSpan().end());
      provider.forceFlush().join(2, TimeUnit.MINUTES);
      double ms = (System.nanoTime() - start) / 1e6;
      return ms / (SPANS / SPANS_PER_REQUEST);
    } finally {
      provider.shutdown().join(10, TimeUnit.SECONDS);
    }
  }
}
