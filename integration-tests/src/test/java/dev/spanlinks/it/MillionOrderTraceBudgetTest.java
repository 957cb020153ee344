package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.SpanlinksTelemetry;
import dev.spanlinks.streams.state.Contribution;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import dev.spanlinks.streams.trace.internals.BatchSpanSettings;
import dev.spanlinks.streams.trace.internals.BatchSpans;
import dev.spanlinks.streams.trace.internals.BatchTracer;
import dev.spanlinks.streams.trace.internals.LinkAttributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A million-order batch through the shipped, autoconfigured SDK and its OTLP/HTTP exporter, decoded
 * from the bytes it sends: no trace past the default budget (below Tempo's 5,000,000 bytes), every
 * traced order linked exactly once, every chunk trace reachable from the batch span.
 */
class MillionOrderTraceBudgetTest {
  private static final int ORDERS = 1_000_000;

  @Test
  void shouldKeepEveryTraceOfAMillionOrderBatchWithinTheDefaultBudget() throws Exception {
    Set<String> traced = new HashSet<>();
    try (OtlpReceiver receiver = new OtlpReceiver()) {
      try (OpenTelemetrySdk sdk =
          SpanlinksTelemetry.autoConfigure(
              1000,
              builder ->
                  builder.addPropertiesSupplier(
                      () ->
                          Map.of(
                              "otel.exporter.otlp.endpoint", receiver.httpEndpoint(),
                              "otel.exporter.otlp.protocol", "http/protobuf",
                              "otel.metrics.exporter", "none",
                              "otel.logs.exporter", "none")))) {
        BatchTracer tracer =
            new BatchTracer(
                sdk,
                new BatchSpanSettings(
                    "million",
                    "orders",
                    1000,
                    false,
                    "million",
                    LinkAttributes.STANDARD,
                    false,
                    BatchSpanSettings.DEFAULT_TRACE_MAX_BYTES));
        Instant window = Instant.parse("2026-01-15T10:00:00Z");
        BatchSpans spans = tracer.begin("eu", window, window.plusSeconds(3600), 0);
        long started = System.nanoTime();
        for (int n = 0; n < ORDERS; n++) {
          if (n % 20 < 17) { // 85% traced
            Contribution order = order(n);
            traced.add(order.spanContext().getTraceId() + "/" + order.spanContext().getSpanId());
            spans.link(order);
          }
        }
        spans.finish(ORDERS, ORDERS - traced.size(), 0).end();
        tracer.spanEnded();
        tracer.exportEndedSpans();
        System.out.printf(
            "1M-order batch: %,d links in %,d spans exported in %.1f s%n",
            traced.size(), spans.chunkSpanCount() + 1, (System.nanoTime() - started) / 1e9);
      }

      Map<String, Long> bytesPerTrace = new HashMap<>();
      Map<String, Integer> orderLinks = new HashMap<>();
      Span batch = null;
      for (OtlpReceiver.ReceivedSpan received : receiver.spans()) {
        Span span = received.span();
        String traceId = hex(span.getTraceId().toByteArray());
        // Each span as it sits in a request, with its field tag and length prefix.
        bytesPerTrace.merge(traceId, (long) span.getSerializedSize() + 5, Long::sum);
        if (span.getName().equals(SpanlinksAttributes.BATCH_SPAN_NAME)) {
          batch = span;
        }
        for (Span.Link link : span.getLinksList()) {
          boolean toOrder =
              link.getAttributesList().stream()
                  .noneMatch(a -> a.getKey().equals("spanlinks.link.to"));
          if (toOrder) {
            orderLinks.merge(
                hex(link.getTraceId().toByteArray()) + "/" + hex(link.getSpanId().toByteArray()),
                1,
                Integer::sum);
          }
        }
      }
      System.out.printf(
          "1M-order batch: %d traces, largest %,d bytes%n",
          bytesPerTrace.size(), bytesPerTrace.values().stream().mapToLong(v -> v).max().orElse(0));
      assertThat(bytesPerTrace.size()).as("chunk traces were needed").isGreaterThan(1);
      assertThat(bytesPerTrace.values())
          .allSatisfy(
              bytes ->
                  assertThat(bytes).isLessThanOrEqualTo(BatchSpanSettings.DEFAULT_TRACE_MAX_BYTES));
      assertThat(orderLinks.keySet()).isEqualTo(traced);
      assertThat(orderLinks.values()).containsOnly(1);
      assertThat(batch).isNotNull();
      List<Span.Link> toChunkTraces =
          batch.getLinksList().stream()
              .filter(
                  link ->
                      link.getAttributesList().stream()
                          .anyMatch(a -> a.getValue().getStringValue().equals("chunk_trace")))
              .toList();
      assertThat(toChunkTraces).hasSize(bytesPerTrace.size() - 1);
      assertThat(batch.getDroppedLinksCount()).isZero();
    }
  }

  private static Contribution order(int n) {
    return new Contribution(
        new UUID(n, ~n).toString(),
        1_768_471_200_000L + n,
        0,
        n,
        BigDecimal.ONE,
        "EUR",
        SpanContext.createFromRemoteParent(
            String.format(Locale.ROOT, "%016x%016x", 0x5eedL, n + 1L),
            String.format(Locale.ROOT, "%016x", n + 1L),
            TraceFlags.getSampled(),
            TraceState.getDefault()),
        0);
  }

  private static String hex(byte[] bytes) {
    return java.util.HexFormat.of().formatHex(bytes);
  }
}
