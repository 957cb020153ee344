package dev.spanlinks.streams.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two stream threads share one SDK. The SDK's forceFlush hands the second thread the first thread's
 * flush, which began before the second thread's span was queued: the second thread must still not
 * return before its own span is exported (else its batch could commit without it).
 */
class SharedExporterFlushTest {
  @Test
  void shouldNotReturnBeforeThisThreadsSpansAreExportedWhenAnotherThreadIsFlushing()
      throws Exception {
    CountDownLatch exporting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> exported = new CopyOnWriteArrayList<>();
    SpanExporter gated =
        new SpanExporter() {
          @Override
          public CompletableResultCode export(Collection<SpanData> spans) {
            exporting.countDown();
            try {
              release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            spans.forEach(span -> exported.add(span.getName()));
            return CompletableResultCode.ofSuccess();
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
    try (OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(
                        // Nothing is exported but on a flush.
                        BatchSpanProcessor.builder(gated)
                            .setScheduleDelay(Duration.ofHours(1))
                            .build())
                    .build())
            .build()) {
      BatchSpanSettings settings = new BatchSpanSettings("app", "orders", 10, false);

      CompletableFuture<Void> first =
          CompletableFuture.runAsync(
              () -> {
                endSpan(sdk, "first thread's span");
                new BatchTracer(sdk, settings).exportEndedSpans();
              });
      assertThat(exporting.await(10, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<List<String>> second = new CompletableFuture<>();
      Thread secondThread =
          new Thread(
              () -> {
                endSpan(sdk, "second thread's span");
                new BatchTracer(sdk, settings).exportEndedSpans();
                second.complete(List.copyOf(exported));
              });
      secondThread.start();
      // Release the first flush only once the second thread waits on it (or on its own).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (secondThread.getState() != Thread.State.TIMED_WAITING
          && !second.isDone()
          && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      release.countDown();

      first.get(10, TimeUnit.SECONDS);
      assertThat(second.get(10, TimeUnit.SECONDS))
          .as("exported when the second thread's wait ended")
          .contains("second thread's span");
    }
  }

  private static void endSpan(OpenTelemetry openTelemetry, String name) {
    openTelemetry.getTracer("test").spanBuilder(name).startSpan().end();
  }
}
