package dev.spanlinks.streams.trace.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spanlinks.streams.SpanlinksTelemetry;
import dev.spanlinks.streams.state.Contribution;
import dev.spanlinks.streams.trace.SpanExportTimeoutException;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class BatchSpansTest {

  /** Records, per flush, how many spans had ended before it. */
  private static final class FlushCounter implements SpanProcessor {
    final List<Integer> endedAtFlush = new ArrayList<>();
    int ended;

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {}

    @Override
    public boolean isStartRequired() {
      return false;
    }

    @Override
    public void onEnd(ReadableSpan span) {
      ended++;
    }

    @Override
    public boolean isEndRequired() {
      return true;
    }

    CompletableResultCode answer = CompletableResultCode.ofSuccess();

    @Override
    public CompletableResultCode forceFlush() {
      endedAtFlush.add(ended);
      return answer;
    }
  }

  @Test
  void shouldWaitForTheExporterEveryRoundOfEndedSpansWhateverTheirKind() {
    FlushCounter counter = new FlushCounter();
    try (OpenTelemetrySdk sdk = sdkWith(counter)) {
      BatchTracer tracer = new BatchTracer(sdk, new BatchSpanSettings("app", "orders", 10, true));
      // Reverse links on: every chunk of 10 links ends 1 chunk span and 10 reverse spans.
      BatchSpans spans = tracer.begin("eu", Instant.EPOCH, Instant.EPOCH.plusSeconds(3600), 0);
      int orders = 1_000;
      for (int n = 0; n < orders; n++) {
        spans.link(contribution(n));
      }
      spans.finish(orders, 0, 0).end();
      tracer.spanEnded();
      tracer.exportEndedSpans();

      int round = BatchTracer.SPANS_PER_EXPORT_ROUND;
      int ended = 1 + 99 + orders; // batch span, 99 chunk spans, one reverse span per order
      assertThat(counter.ended).isEqualTo(ended);
      List<Integer> expected = new ArrayList<>();
      for (int n = round; n <= ended; n += round) {
        expected.add(n);
      }
      expected.add(ended);
      assertThat(counter.endedAtFlush)
          .as("a flush after every round of ended spans, and one before the commit")
          .containsExactlyElementsOf(expected);
    }
  }

  @Test
  void shouldFailTheCloseWhenTheExporterDoesNotAnswerInTime() {
    FlushCounter hanging = new FlushCounter();
    hanging.answer = new CompletableResultCode(); // never completes
    try (OpenTelemetrySdk sdk = sdkWith(hanging)) {
      BatchTracer tracer =
          new BatchTracer(sdk, new BatchSpanSettings("app", "orders", 10, false), 50);
      for (int n = 0; n < BatchTracer.SPANS_PER_EXPORT_ROUND; n++) {
        tracer.spanEnded(); // the first round is handed over without waiting
      }
      assertThatThrownBy(tracer::exportEndedSpans)
          .isInstanceOf(SpanExportTimeoutException.class)
          .hasMessageContaining("within 50 ms");
      hanging.answer = CompletableResultCode.ofSuccess();
    }
  }

  @Test
  void shouldGoOnWhenTheExporterAnswersWithAFailure() {
    FlushCounter failing = new FlushCounter();
    failing.answer = CompletableResultCode.ofFailure();
    try (OpenTelemetrySdk sdk = sdkWith(failing)) {
      BatchTracer tracer =
          new BatchTracer(sdk, new BatchSpanSettings("app", "orders", 10, false), 50);
      for (int n = 0; n < 3 * BatchTracer.SPANS_PER_EXPORT_ROUND; n++) {
        tracer.spanEnded();
      }
      tracer.exportEndedSpans();
      assertThat(failing.endedAtFlush).hasSize(4);
      failing.answer = CompletableResultCode.ofSuccess();
    }
  }

  @Test
  void shouldNameEachBatchsWindowWhateverWindowCameBefore() {
    try (OpenTelemetrySdk sdk = sdkWith(new FlushCounter())) {
      BatchTracer tracer = new BatchTracer(sdk, new BatchSpanSettings("app", "orders", 10, false));
      // In order, back to an earlier window, and a window of another size.
      long[][] windows = {{0, 1}, {1, 2}, {1, 2}, {2, 3}, {0, 1}, {2, 5}, {3, 5}, {2, 3}};
      for (long[] window : windows) {
        Instant start = Instant.EPOCH.plusSeconds(3600 * window[0]);
        Instant end = Instant.EPOCH.plusSeconds(3600 * window[1]);
        BatchSpans spans = tracer.begin("eu", start, end, 0);
        spans.link(contribution(0));
        Span span = spans.finish(1, 0, 0);
        ReadableSpan batch = (ReadableSpan) span;
        assertThat(batch.getAttribute(SpanlinksAttributes.WINDOW_START))
            .isEqualTo(start.toString());
        assertThat(batch.getAttribute(SpanlinksAttributes.WINDOW_END)).isEqualTo(end.toString());
        span.end();
      }
    }
  }

  private static OpenTelemetrySdk sdkWith(SpanProcessor processor) {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(
            SpanlinksTelemetry.withBatchSupport(SdkTracerProvider.builder(), 10)
                .addSpanProcessor(processor)
                .build())
        .build();
  }

  /** Order {@code n}'s contribution: a sampled remote span context of its own. */
  static Contribution contribution(int n) {
    SpanContext context =
        SpanContext.createFromRemoteParent(
            String.format(Locale.ROOT, "%032x", 0x1000L + n),
            String.format(Locale.ROOT, "%016x", 0x2000L + n),
            TraceFlags.getSampled(),
            TraceState.getDefault());
    return new Contribution(
        "order-" + n, 1_000L + n, 0, n, new BigDecimal("1.00"), "EUR", context, 0);
  }
}
