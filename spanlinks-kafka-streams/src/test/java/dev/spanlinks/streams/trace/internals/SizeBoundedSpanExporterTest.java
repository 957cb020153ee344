package dev.spanlinks.streams.trace.internals;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanLimits;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Export requests bounded by OTLP bytes, checked against the exporter's own encoding. */
class SizeBoundedSpanExporterTest {
  private static final long MAX_REQUEST_BYTES = 512 * 1024;

  @Test
  void shouldKeepEveryRequestWithinTheBoundOfItsRealEncoding() {
    for (long seed = 1; seed <= 20; seed++) {
      List<SpanData> spans = randomSpans(new Random(seed), 300);
      SizeBoundedSpanExporter exporter =
          new SizeBoundedSpanExporter(InMemorySpanExporter.create(), MAX_REQUEST_BYTES);

      List<List<SpanData>> requests = exporter.split(spans);

      assertThat(requests.stream().flatMap(List::stream).toList())
          .as("seed %d: every span once, in order", seed)
          .containsExactlyElementsOf(spans);
      for (List<SpanData> request : requests) {
        long encoded = TraceRequestMarshaler.create(request).getBinarySerializedSize();
        assertThat(encoded)
            .as("seed %d: encoded request", seed)
            .isLessThanOrEqualTo(MAX_REQUEST_BYTES);
      }
      assertThat(requests.size())
          .as("seed %d: requests are filled, not one span each", seed)
          .isLessThan(spans.size() / 4);
    }
  }

  @Test
  void shouldBoundEachSpanInARequestOfItsOwnAboveItsEncodedSize() {
    for (SpanData span : randomSpans(new Random(99), 500)) {
      int encoded = TraceRequestMarshaler.create(List.of(span)).getBinarySerializedSize();
      long exact = SizeBoundedSpanExporter.bytes(span, OtlpSizes.Text.EXACT);
      assertThat(exact + SizeBoundedSpanExporter.REQUEST_OVERHEAD_BYTES)
          .isGreaterThanOrEqualTo(encoded);
      assertThat(SizeBoundedSpanExporter.bytes(span, OtlpSizes.Text.LOOSE))
          .as("the loose bound is a bound too")
          .isGreaterThanOrEqualTo(exact);
    }
  }

  @Test
  void shouldSendSpansThatPlainlyFitAsTheyCame() {
    List<SpanData> few = randomSpans(new Random(11), 300).subList(0, 5);
    List<Collection<SpanData>> sent = new ArrayList<>();
    SizeBoundedSpanExporter exporter =
        new SizeBoundedSpanExporter(recording(sent), MAX_REQUEST_BYTES);

    assertThat(exporter.plainlyFitOneRequest(few)).isTrue();
    assertThat(exporter.export(few).isSuccess()).isTrue();
    assertThat(sent).containsExactly(few);

    List<SpanData> many = randomSpans(new Random(12), 300);
    assertThat(exporter.plainlyFitOneRequest(many)).isFalse();
    sent.clear();
    exporter.export(many);
    assertThat(sent).as("split as the exact bounds say").isEqualTo(exporter.split(many));
  }

  private static SpanExporter recording(List<Collection<SpanData>> sent) {
    return exporter(
        spans -> {
          sent.add(spans);
          return CompletableResultCode.ofSuccess();
        });
  }

  /** An exporter that answers each request as {@code export} says, and nothing else. */
  private static SpanExporter exporter(
      Function<Collection<SpanData>, CompletableResultCode> export) {
    return new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        return export.apply(spans);
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
  }

  @Test
  void shouldSendASpanPastTheBoundAloneAndCountIt() {
    Tracer tracer = tracer(InMemorySpanExporter.create());
    List<SpanData> spans = randomSpans(new Random(7), 3);
    SpanData huge = spanWithLinks(tracer, new Random(8), 5_000);
    List<SpanData> all = new ArrayList<>(spans);
    all.add(1, huge);
    SizeBoundedSpanExporter exporter =
        new SizeBoundedSpanExporter(InMemorySpanExporter.create(), MAX_REQUEST_BYTES);

    List<List<SpanData>> requests = exporter.split(all);

    assertThat(requests).contains(List.of(huge));
    assertThat(exporter.oversizedSpans()).isEqualTo(1);
  }

  @Test
  void shouldSendRequestsOneAfterTheOtherAndFailWhenAnyFails() {
    List<CompletableResultCode> pending = new ArrayList<>();
    SpanExporter slow =
        exporter(
            spans -> {
              CompletableResultCode result = new CompletableResultCode();
              pending.add(result);
              return result;
            });
    SizeBoundedSpanExporter exporter = new SizeBoundedSpanExporter(slow, MAX_REQUEST_BYTES);
    List<SpanData> spans = randomSpans(new Random(3), 300);
    int expectedRequests = exporter.split(spans).size();
    assertThat(expectedRequests).isGreaterThan(2);

    CompletableResultCode all = exporter.export(spans);

    for (int sent = 1; sent <= expectedRequests; sent++) {
      assertThat(pending).as("requests in flight or done").hasSize(sent);
      assertThat(all.isDone()).isFalse();
      if (sent == 2) {
        pending.get(sent - 1).fail();
      } else {
        pending.get(sent - 1).succeed();
      }
    }
    assertThat(all.isDone()).isTrue();
    assertThat(all.isSuccess()).as("one failed request fails the export").isFalse();
  }

  /** Spans of 0 to 2,000 links, with UUID ids, longs and now and then a tracestate. */
  private static List<SpanData> randomSpans(Random random, int count) {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    Tracer tracer = tracer(spans);
    for (int n = 0; n < count; n++) {
      int links = random.nextInt(10) == 0 ? random.nextInt(2_000) : random.nextInt(40);
      spanWithLinks(tracer, random, links);
    }
    return spans.getFinishedSpanItems();
  }

  private static SpanData spanWithLinks(Tracer tracer, Random random, int links) {
    SpanBuilder builder =
        tracer
            .spanBuilder(random.nextBoolean() ? "process orders" : "process orders chunk")
            .setAttribute("spanlinks.batch.key", "key-" + random.nextInt(100_000))
            .setAttribute("spanlinks.batch.orders", (long) links);
    for (int n = 0; n < links; n++) {
      TraceState state =
          random.nextInt(5) == 0
              ? TraceState.builder().put("vendor", "v" + random.nextLong()).build()
              : TraceState.getDefault();
      SpanContext context =
          SpanContext.create(
              String.format("%016x%016x", random.nextLong() | 1, random.nextLong()),
              String.format("%016x", random.nextLong() | 1),
              TraceFlags.getSampled(),
              state);
      builder.addLink(
          context,
          Attributes.of(
              AttributeKey.longKey("messaging.kafka.offset"),
              Math.abs(random.nextLong()),
              AttributeKey.stringKey("spanlinks.order.id"),
              UUID.randomUUID().toString()));
    }
    io.opentelemetry.api.trace.Span span = builder.startSpan();
    span.addEvent("closed", Attributes.of(AttributeKey.longKey("n"), (long) links));
    span.end();
    return ((io.opentelemetry.sdk.trace.ReadableSpan) span).toSpanData();
  }

  private static Tracer tracer(InMemorySpanExporter exporter) {
    return SdkTracerProvider.builder()
        .setSpanLimits(SpanLimits.builder().setMaxNumberOfLinks(10_000).build())
        .addSpanProcessor(SimpleSpanProcessor.create(exporter))
        .build()
        .get("test");
  }
}
