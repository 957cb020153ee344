package dev.spanlinks.streams.trace.internals;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.SpanLimits;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class LinkCapacityTest {

  @Test
  void shouldReadTheSameLimitsAsAutoconfigureFromTheSameSettings() {
    AtomicReference<ConfigProperties> config = new AtomicReference<>();
    try (OpenTelemetrySdk sdk =
        AutoConfiguredOpenTelemetrySdk.builder()
            .addPropertiesSupplier(
                () ->
                    Map.of(
                        "otel.traces.exporter", "none",
                        "otel.metrics.exporter", "none",
                        "otel.logs.exporter", "none",
                        "otel.attribute.value.length.limit", "300",
                        "otel.span.attribute.value.length.limit", "200",
                        "otel.attribute.count.limit", "40",
                        "otel.span.attribute.count.limit", "30",
                        "otel.span.event.count.limit", "20",
                        "otel.span.link.count.limit", "1500"))
            .addTracerProviderCustomizer(
                (tracerProvider, properties) -> {
                  config.set(properties);
                  return tracerProvider;
                })
            .disableShutdownHook()
            .build()
            .getOpenTelemetrySdk()) {
      SpanLimits autoconfigured = sdk.getSdkTracerProvider().getSpanLimits();
      assertThat(autoconfigured.getMaxNumberOfLinks()).as("the settings applied").isEqualTo(1500);
      assertThat(LinkCapacity.fromConfig(config.get())).isEqualTo(autoconfigured);
    }
  }

  @Test
  void shouldSizeOnlyTheNextSpanToItsLinks() {
    SpanLimits configured = SpanLimits.builder().setMaxNumberOfLinks(5).build();
    try (SdkTracerProvider provider =
        recording(SdkTracerProvider.builder().setSpanLimits(new LinkCapacity(configured)))) {
      Tracer tracer = provider.get("test");

      assertThat(linksKept(LinkCapacity.spanBuilder(tracer, "sized", 2), 4))
          .as("a span that said 2 links has room for 2")
          .isEqualTo(2);
      assertThat(linksKept(tracer.spanBuilder("next"), 7))
          .as("the next span has the configured limit again")
          .isEqualTo(5);
      assertThat(linksKept(LinkCapacity.spanBuilder(tracer, "too many", 9), 9))
          .as("a hint never raises the configured limit")
          .isEqualTo(5);
    }
  }

  @Test
  void shouldLeaveAnSdkWithoutItAlone() {
    try (SdkTracerProvider provider = recording(SdkTracerProvider.builder())) {
      assertThat(linksKept(LinkCapacity.spanBuilder(provider.get("test"), "plain", 1), 3))
          .isEqualTo(3);
    }
  }

  /**
   * The limits each batch span asked for: a batch of one chunk its links, a batch of several chunks
   * the configured limit for its batch span (chunk traces may still link to it) and each chunk its
   * links plus one.
   */
  @Test
  void shouldSizeEveryBatchSpanThatKnowsItsLinks() {
    List<Integer> linkLimits = new ArrayList<>();
    LinkCapacity capacity =
        new LinkCapacity(SpanLimits.builder().setMaxNumberOfLinks(1000).build());
    Supplier<SpanLimits> recording =
        () -> {
          SpanLimits limits = capacity.get();
          linkLimits.add(limits.getMaxNumberOfLinks());
          return limits;
        };
    try (OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                recording(
                    SdkTracerProvider.builder()
                        .setSpanLimits(recording)
                        .setIdGenerator(new DeterministicIdGenerator())))
            .build()) {
      BatchTracer tracer = new BatchTracer(sdk, new BatchSpanSettings("app", "orders", 2, false));
      Instant end = Instant.EPOCH.plusSeconds(3600);

      BatchSpans one = tracer.begin("one", Instant.EPOCH, end, 0);
      one.link(BatchSpansTest.contribution(0));
      assertLinks(one.finish(1, 0, 0), 1);
      assertThat(linkLimits).containsExactly(1);

      linkLimits.clear();
      BatchSpans five = tracer.begin("five", Instant.EPOCH, end, 0);
      for (int n = 0; n < 5; n++) {
        five.link(BatchSpansTest.contribution(n));
      }
      assertLinks(five.finish(5, 0, 0), 2);
      assertThat(linkLimits).containsExactly(1000, 3, 2);
    }
  }

  /** Spans are recorded only where a span processor takes them. */
  private static SdkTracerProvider recording(SdkTracerProviderBuilder builder) {
    return builder
        .addSpanProcessor(SimpleSpanProcessor.create(InMemorySpanExporter.create()))
        .build();
  }

  private static void assertLinks(Span span, int links) {
    span.end();
    assertThat(((ReadableSpan) span).toSpanData().getLinks()).hasSize(links);
    assertThat(((ReadableSpan) span).toSpanData().getTotalRecordedLinks()).isEqualTo(links);
  }

  private static int linksKept(SpanBuilder builder, int links) {
    for (int n = 0; n < links; n++) {
      builder.addLink(BatchSpansTest.contribution(n).spanContext());
    }
    Span span = builder.startSpan();
    span.end();
    return ((ReadableSpan) span).toSpanData().getLinks().size();
  }
}
