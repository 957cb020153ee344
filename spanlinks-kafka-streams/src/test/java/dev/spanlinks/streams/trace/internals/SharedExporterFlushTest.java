package dev.spanlinks.streams.trace.internals;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
    GatedSpanExporter gated = new GatedSpanExporter();
    // Nothing is exported but on a flush.
    try (OpenTelemetrySdk sdk = gated.sdk()) {
      BatchSpanSettings settings = new BatchSpanSettings("app", "orders", 10, false);

      CompletableFuture<Void> first =
          CompletableFuture.runAsync(
              () -> {
                endSpan(sdk, "first thread's span");
                new BatchTracer(sdk, settings).exportEndedSpans();
              });
      assertThat(gated.awaitExporting(Duration.ofSeconds(10))).isTrue();
      CompletableFuture<List<String>> second = new CompletableFuture<>();
      Thread secondThread =
          new Thread(
              () -> {
                endSpan(sdk, "second thread's span");
                new BatchTracer(sdk, settings).exportEndedSpans();
                second.complete(gated.exportedNames());
              });
      secondThread.start();
      // Release the first flush only once the second thread waits on it (or on its own).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (secondThread.getState() != Thread.State.TIMED_WAITING
          && !second.isDone()
          && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      gated.release();

      first.get(10, TimeUnit.SECONDS);
      assertThat(second.get(10, TimeUnit.SECONDS))
          .as("exported when the second thread's wait ended")
          .contains("second thread's span");
    }
  }

  /**
   * Two tasks of one stream thread close in one poll loop (issue 23 item 1): the second task's
   * flush is handed the first task's, still running, and the commit must not go through before the
   * second task's span is exported.
   */
  @Test
  void shouldNotCommitBeforeEveryTasksSpansAreExportedWhenTasksShareAThread() throws Exception {
    GatedSpanExporter gated = new GatedSpanExporter();
    try (OpenTelemetrySdk sdk = gated.sdk()) {
      BatchSpanSettings settings = new BatchSpanSettings("app", "orders", 10, false);
      CountDownLatch committing = new CountDownLatch(1);
      CompletableFuture<List<String>> exportedAtCommit = new CompletableFuture<>();
      Thread streamThread =
          new Thread(
              () -> {
                try {
                  // This thread's producer waits before its commits: closes hand their spans over.
                  SpansBeforeCommit.beforeProducerFlush();
                  BatchTracer taskA = new BatchTracer(sdk, settings);
                  BatchTracer taskB = new BatchTracer(sdk, settings);
                  endSpan(sdk, "task A's span");
                  taskA.exportEndedSpans();
                  assertThat(gated.awaitExporting(Duration.ofSeconds(10))).isTrue();
                  endSpan(sdk, "task B's span");
                  taskB.exportEndedSpans();
                  committing.countDown();
                  SpansBeforeCommit.beforeProducerFlush(); // the commit's flush
                  exportedAtCommit.complete(gated.exportedNames());
                } catch (Throwable t) {
                  exportedAtCommit.completeExceptionally(t);
                }
              });
      streamThread.start();
      assertThat(committing.await(10, TimeUnit.SECONDS)).isTrue();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (streamThread.getState() != Thread.State.TIMED_WAITING
          && !exportedAtCommit.isDone()
          && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      gated.release();
      assertThat(exportedAtCommit.get(10, TimeUnit.SECONDS))
          .as("exported when the commit's wait ended")
          .contains("task A's span", "task B's span");
    }
  }

  /**
   * Two tasks (two linked streams of one topology, say) share an SDK whose span processor exports
   * as each span ends: its flushes are handed back complete, and they do cover every span. The
   * close takes one rather than asking until the export timeout for one still running.
   */
  @Test
  void shouldTakeACompleteFlushOfAProcessorThatExportsAsSpansEnd() {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .build()) {
      BatchSpanSettings settings = new BatchSpanSettings("app", "orders", 10, false);
      long exportTimeoutMs = 60_000;
      BatchTracer taskA = new BatchTracer(sdk, settings, exportTimeoutMs);
      BatchTracer taskB = new BatchTracer(sdk, settings, exportTimeoutMs);
      endSpan(sdk, "task A's span");
      taskA.exportEndedSpans();
      endSpan(sdk, "task B's span");
      long start = System.nanoTime();
      taskB.exportEndedSpans();
      long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertThat(exporter.getFinishedSpanItems()).hasSize(2);
      assertThat(waitedMs)
          .as("waited for a flush still running, which this processor never hands back")
          .isLessThan(exportTimeoutMs / 4);
    }
  }

  private static void endSpan(OpenTelemetry openTelemetry, String name) {
    openTelemetry.getTracer("test").spanBuilder(name).startSpan().end();
  }
}
