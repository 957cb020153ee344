package dev.spanlinks.streams.trace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.model.Contribution;
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

    @Override
    public CompletableResultCode forceFlush() {
      endedAtFlush.add(ended);
      return CompletableResultCode.ofSuccess();
    }
  }

  @Test
  void shouldWaitForTheExporterEveryRoundOfChunkSpans() {
    FlushCounter counter = new FlushCounter();
    try (OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SpanlinksTelemetry.withBatchSupport(SdkTracerProvider.builder(), 10)
                    .addSpanProcessor(counter)
                    .build())
            .build()) {
      BatchSpans spans =
          new BatchTracer(sdk, new BatchSpanSettings("app", "orders", 10, false))
              .begin("eu", Instant.EPOCH, Instant.EPOCH.plusSeconds(3600));
      int rounds = 3;
      // The batch span takes the first 10 links; every further 10 make one chunk span.
      int orders = 10 + rounds * BatchTracer.CHUNKS_PER_EXPORT_WAIT * 10;
      for (int n = 0; n < orders; n++) {
        spans.link(contribution(n));
      }
      spans.finish(orders, 0, 0).end();

      int round = BatchTracer.CHUNKS_PER_EXPORT_WAIT;
      assertThat(counter.endedAtFlush)
          .as("one flush per round of chunk spans, each after that round's last chunk ended")
          .containsExactly(round, 2 * round, 3 * round);
      assertThat(spans.chunkSpanCount()).isEqualTo(rounds * round);
    }
  }

  private static Contribution contribution(int n) {
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
