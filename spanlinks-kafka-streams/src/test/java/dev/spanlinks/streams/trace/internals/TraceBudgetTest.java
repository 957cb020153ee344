package dev.spanlinks.streams.trace.internals;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.SpanlinksTelemetry;
import dev.spanlinks.streams.state.Contribution;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * No trace past {@code spanlinks.trace.max.bytes} of OTLP, measured with the exporter's own
 * protobuf marshaler; every order still linked exactly once, and every chunk trace linked with the
 * batch span both ways.
 */
class TraceBudgetTest {
  private static final long BUDGET = BatchSpanSettings.MIN_TRACE_MAX_BYTES;
  private static final int ORDERS = 5_000;

  @ParameterizedTest
  @EnumSource(LinkAttributes.class)
  void shouldKeepEveryTraceWithinTheBudgetAndEveryOrderOneLinkAway(LinkAttributes choice) {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SpanlinksTelemetry.withBatchSupport(SdkTracerProvider.builder(), 100)
                    .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .build()) {
      BatchTracer tracer =
          new BatchTracer(
              sdk,
              new BatchSpanSettings("app", "orders", 100, false, "app", choice, false, BUDGET));
      Instant window = Instant.parse("2026-01-15T10:00:00Z");
      BatchSpans spans = tracer.begin("eu", window, window.plusSeconds(3600), 0);
      List<String> orders = new ArrayList<>();
      for (int n = 0; n < ORDERS; n++) {
        Contribution order = contribution(n);
        orders.add(ids(order.spanContext()));
        spans.link(order);
      }
      spans.finish(ORDERS, 0, 0).end();

      List<SpanData> all = exporter.getFinishedSpanItems();
      Map<String, List<SpanData>> traces =
          all.stream().collect(Collectors.groupingBy(SpanData::getTraceId));
      traces.forEach(
          (traceId, trace) ->
              assertThat(TraceRequestMarshaler.create(trace).getBinarySerializedSize())
                  .as("OTLP bytes of trace %s", traceId)
                  .isLessThanOrEqualTo((int) BUDGET));

      List<String> orderLinks =
          all.stream()
              .flatMap(span -> span.getLinks().stream())
              .filter(link -> link.getAttributes().get(SpanlinksAttributes.LINK_TO) == null)
              .map(link -> ids(link.getSpanContext()))
              .toList();
      assertThat(orderLinks).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(orders);

      SpanData batch =
          all.stream()
              .filter(span -> span.getName().equals(SpanlinksAttributes.BATCH_SPAN_NAME))
              .findFirst()
              .orElseThrow();
      int chunkTraces = traces.size() - 1;
      assertThat(chunkTraces).as("the budget forces chunk traces").isGreaterThan(0);
      assertThat(batch.getAttributes().get(SpanlinksAttributes.CHUNK_TRACES))
          .isEqualTo((long) chunkTraces);
      BatchIds batchIds = new BatchIds("app", "eu", window.toEpochMilli(), 0);
      Set<String> chunkTraceIds = traces.keySet();
      for (int index = 1; index <= chunkTraces; index++) {
        assertThat(chunkTraceIds).contains(batchIds.chunkTraceId(index));
      }
      List<SpanData> roots =
          all.stream()
              .filter(span -> !span.getTraceId().equals(batch.getTraceId()))
              .filter(span -> !span.getParentSpanContext().isValid())
              .toList();
      assertThat(roots).hasSize(chunkTraces);
      Set<String> batchLinksToRoots =
          batch.getLinks().stream()
              .filter(
                  link ->
                      SpanlinksAttributes.LINK_TO_CHUNK_TRACE.equals(
                          link.getAttributes().get(SpanlinksAttributes.LINK_TO)))
              .map(link -> ids(link.getSpanContext()))
              .collect(Collectors.toSet());
      assertThat(batchLinksToRoots)
          .containsExactlyInAnyOrderElementsOf(
              roots.stream().map(root -> ids(root.getSpanContext())).toList());
      for (SpanData root : roots) {
        assertThat(root.getLinks())
            .filteredOn(link -> link.getAttributes().get(SpanlinksAttributes.LINK_TO) != null)
            .singleElement()
            .extracting(LinkData::getSpanContext)
            .isEqualTo(batch.getSpanContext());
      }
      for (SpanData span : all) {
        if (span.getParentSpanContext().isValid()) {
          assertThat(span.getParentSpanContext().getTraceId()).isEqualTo(span.getTraceId());
        }
      }
      assertThat(batch.getTotalRecordedLinks()).isEqualTo(batch.getLinks().size());
    }
  }

  private static String ids(SpanContext context) {
    return context.getTraceId() + "/" + context.getSpanId();
  }

  private static Contribution contribution(int n) {
    SpanContext context =
        SpanContext.createFromRemoteParent(
            String.format(Locale.ROOT, "%032x", 0x1000_0000L + n),
            String.format(Locale.ROOT, "%016x", 0x2000_0000L + n),
            TraceFlags.getSampled(),
            n % 3 == 0
                ? TraceState.builder().put("vendor", "v" + n).build()
                : TraceState.getDefault());
    return new Contribution(
        UUID.nameUUIDFromBytes(("order-" + n).getBytes(java.nio.charset.StandardCharsets.UTF_8))
            .toString(),
        1_768_471_200_000L + n,
        0,
        n,
        BigDecimal.ONE,
        "EUR",
        context,
        0);
  }
}
