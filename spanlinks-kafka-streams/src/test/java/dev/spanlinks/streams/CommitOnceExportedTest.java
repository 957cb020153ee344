package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.trace.internals.GatedSpanExporter;
import dev.spanlinks.streams.trace.internals.SpansBeforeCommit;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * On a stream thread whose producer waits for spans before committing, a window close returns while
 * the exporter still sends its spans, and asks for a commit only once they are out: a commit asked
 * for at once would wait for the exporter, one left to the interval would keep the batch unreadable
 * for up to a second.
 */
class CommitOnceExportedTest {
  private static final long TEN = Instant.parse("2026-01-15T10:00:00Z").toEpochMilli();
  private static final SpanContext TRACED =
      SpanContext.createFromRemoteParent(
          "4bf92f3577b34da6a3ce929d0e0e4736",
          "00f067aa0ba902b7",
          TraceFlags.getSampled(),
          TraceState.getDefault());

  private final GatedSpanExporter exporter = new GatedSpanExporter();
  private final ExecutorService streamThread = Executors.newSingleThreadExecutor();

  @AfterEach
  void stop() {
    exporter.release();
    streamThread.shutdownNow();
  }

  @Test
  void shouldAskForACommitOnlyOnceTheClosedBatchesSpansAreExported() throws Exception {
    try (OpenTelemetrySdk sdk = exporter.sdk()) {
      MockProcessorContext<Object, Object> context = CloseProcessorContexts.withEmptyStores();
      CloseWindowsProcessor processor = processor(sdk);

      onStreamThread(
          () -> {
            SpansBeforeCommit.beforeProducerFlush(); // this thread's producer waits for spans
            context.setCurrentSystemTimeMs(TEN + Duration.ofDays(1).toMillis());
            processor.init(context);
            processor.process(CloseProcessorContexts.order("o-1", TEN + 60_000, TRACED));
            processor.process(
                CloseProcessorContexts.order(
                    "o-2", TEN + 2 * 3_600_000, TRACED)); // closes the 10:00 window
          });
      assertThat(context.forwarded())
          .as("the batch is emitted while the exporter still holds its spans")
          .anyMatch(forward -> forward.record().value() instanceof LinkedBatch);
      assertThat(exporter.exportedNames()).isEmpty();
      assertThat(context.committed()).as("no commit while the spans are not out").isFalse();

      onStreamThread(
          () ->
              processor.process(
                  CloseProcessorContexts.order("o-3", TEN + 2 * 3_600_000 + 1, TRACED)));
      assertThat(context.committed()).as("still not out: still no commit").isFalse();

      exporter.release();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (exporter.exportedNames().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      onStreamThread(
          () ->
              processor.process(
                  CloseProcessorContexts.order("o-4", TEN + 2 * 3_600_000 + 2, TRACED)));
      assertThat(context.committed()).as("the spans are out: the next record asks").isTrue();
    }
  }

  @Test
  void shouldAskForTheCommitFromAShortCheckWhenNoRecordComesAfterTheClose() throws Exception {
    try (OpenTelemetrySdk sdk = exporter.sdk()) {
      MockProcessorContext<Object, Object> context = CloseProcessorContexts.withEmptyStores();
      CloseWindowsProcessor processor = processor(sdk);
      onStreamThread(
          () -> {
            SpansBeforeCommit.beforeProducerFlush();
            context.setCurrentSystemTimeMs(TEN + Duration.ofDays(1).toMillis());
            processor.init(context);
            processor.process(CloseProcessorContexts.order("o-1", TEN + 60_000, TRACED));
            processor.process(
                CloseProcessorContexts.order(
                    "o-2", TEN + 2 * 3_600_000, TRACED)); // the last record: a close
          });
      MockProcessorContext.CapturedPunctuator check =
          context.scheduledPunctuators().stream()
              .filter(
                  punctuator ->
                      punctuator.getInterval().equals(CloseWindowsProcessor.EXPORT_CHECK_INTERVAL))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no check scheduled after the close"));

      onStreamThread(() -> check.getPunctuator().punctuate(0));
      assertThat(context.committed()).as("spans not out yet").isFalse();
      exporter.release();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (exporter.exportedNames().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      onStreamThread(() -> check.getPunctuator().punctuate(0));
      assertThat(context.committed()).as("the check asks once they are out").isTrue();
      assertThat(check.cancelled()).as("and stops checking").isTrue();
    }
  }

  private static CloseWindowsProcessor processor(OpenTelemetrySdk sdk) {
    return new CloseWindowsProcessor(
        new BatchConfig(Map.of("application.id", "commits", "bootstrap.servers", "x:9")), sdk);
  }

  private void onStreamThread(Runnable step) throws Exception {
    streamThread.submit(step).get(10, TimeUnit.SECONDS);
  }
}
