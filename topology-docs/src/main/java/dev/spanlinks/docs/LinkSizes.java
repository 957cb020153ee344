package dev.spanlinks.docs;

import dev.spanlinks.streams.SpanlinksTelemetry;
import dev.spanlinks.streams.state.Contribution;
import dev.spanlinks.streams.trace.internals.BatchSpanSettings;
import dev.spanlinks.streams.trace.internals.BatchSpans;
import dev.spanlinks.streams.trace.internals.BatchTracer;
import dev.spanlinks.streams.trace.internals.LinkAttributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;

/**
 * OTLP bytes per link, for each {@code spanlinks.link.attributes} choice, measured on the protobuf
 * that the OTLP exporter itself would send: a batch span of 1,000 links minus the same span with
 * none, over 1,000. Realistic values: random trace contexts, UUID order ids, offsets in the
 * millions, with and without a {@code tracestate}. Seeded, so the table is the same every run.
 */
final class LinkSizes {
  static final int LINKS = 1_000;
  static final String TRACESTATE = "vendor1=00f067aa0ba902b7,congo=t61rcWkgMzE";

  private LinkSizes() {}

  /** Bytes per link for one choice. */
  static double bytesPerLink(LinkAttributes choice, boolean withTracestate) {
    long withLinks = batchSpanBytes(choice, withTracestate, LINKS);
    long without = batchSpanBytes(choice, withTracestate, 0);
    return (double) (withLinks - without) / LINKS;
  }

  static String render() {
    StringBuilder out = new StringBuilder();
    out.append("## OTLP bytes per link\n\n")
        .append("What each link adds to an OTLP export request (protobuf, as the exporter sends")
        .append(" it), by `spanlinks.link.attributes`: a batch span of ")
        .append(String.format(Locale.ROOT, "%,d", LINKS))
        .append(" links with UUID order ids and offsets in the millions, minus the same span")
        .append(" without links. The tracestate is `")
        .append(TRACESTATE)
        .append("`.\n\n| `spanlinks.link.attributes` | on each link | bytes per link |")
        .append(" with tracestate |\n|---|---|---:|---:|\n");
    for (LinkAttributes choice : LinkAttributes.values()) {
      out.append(
          String.format(
              Locale.ROOT,
              "| `%s`%s | %s | %.1f | %.1f |%n",
              choice.configValue(),
              choice == LinkAttributes.STANDARD ? " (default)" : "",
              carried(choice),
              bytesPerLink(choice, false),
              bytesPerLink(choice, true)));
    }
    out.append('\n');
    return out.toString();
  }

  private static String carried(LinkAttributes choice) {
    return switch (choice) {
      case NONE -> "the span context only";
      case STANDARD -> "`messaging.kafka.offset` (and the partition with repartition by key)";
      case ALL -> "offset, partition, record key, order id, event time";
    };
  }

  private static long batchSpanBytes(LinkAttributes choice, boolean withTracestate, int links) {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SpanlinksTelemetry.withBatchSupport(SdkTracerProvider.builder(), LINKS)
                    .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .build()) {
      BatchTracer tracer =
          new BatchTracer(
              sdk,
              new BatchSpanSettings(
                  "spanlinks",
                  "orders",
                  LINKS,
                  false,
                  "spanlinks",
                  choice,
                  false,
                  BatchSpanSettings.DEFAULT_TRACE_MAX_BYTES));
      Instant window = Instant.parse("2026-01-15T10:00:00Z");
      BatchSpans spans = tracer.begin("customer-00042", window, window.plusSeconds(3600), 0);
      Random random = new Random(42);
      for (int n = 0; n < links; n++) {
        spans.link(contribution(random, n, withTracestate));
      }
      spans.finish(links, 0, 0).end();
      List<SpanData> batch = exporter.getFinishedSpanItems();
      return TraceRequestMarshaler.create(batch).getBinarySerializedSize();
    }
  }

  private static Contribution contribution(Random random, int n, boolean withTracestate) {
    SpanContext context =
        SpanContext.createFromRemoteParent(
            String.format(Locale.ROOT, "%016x%016x", random.nextLong(), random.nextLong()),
            String.format(Locale.ROOT, "%016x", random.nextLong() | 1),
            TraceFlags.getSampled(),
            withTracestate
                ? TraceState.builder()
                    .put("vendor1", "00f067aa0ba902b7")
                    .put("congo", "t61rcWkgMzE")
                    .build()
                : TraceState.getDefault());
    return new Contribution(
        new UUID(random.nextLong(), random.nextLong()).toString(),
        Instant.parse("2026-01-15T10:00:00Z").toEpochMilli() + 1_000L * n,
        3,
        4_812_345L + n,
        new BigDecimal("12.50"),
        "EUR",
        context,
        0);
  }
}
