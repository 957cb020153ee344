package dev.spanlinks.streams.trace.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spanlinks.streams.SpansBeforeCommitClientSupplier;
import dev.spanlinks.streams.trace.SpanExportTimeoutException;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A close hands its spans to the exporter and returns only where the thread's producer will wait
 * for them before the commit; the wait then happens in the producer's flush, and a flush that
 * cannot get them exported in time fails (so the commit never happens without them).
 */
class SpansBeforeCommitTest {
  private final GatedSpanExporter exporter = new GatedSpanExporter();
  // Each case runs on a thread of its own: what a thread has seen is kept per thread.
  private final ExecutorService streamThread = Executors.newSingleThreadExecutor();
  private final OpenTelemetrySdk sdk = exporter.sdk();

  @AfterEach
  void stop() {
    exporter.release();
    streamThread.shutdownNow();
    sdk.close();
  }

  @Test
  void shouldWaitAtTheCloseOnAThreadWhoseProducerHasNotBeenSeenWaiting() throws Exception {
    BatchTracer tracer = tracer(60_000);
    CompletableFuture<Void> close =
        CompletableFuture.runAsync(
            () -> {
              endSpan("batch");
              tracer.exportEndedSpans();
            },
            streamThread);

    Thread.sleep(200); // long enough for a close that does not wait to have returned
    assertThat(close).as("the close waits for the exporter").isNotDone();
    exporter.release();
    close.get(10, TimeUnit.SECONDS);
    assertThat(exporter.exportedNames()).containsExactly("batch");
  }

  @Test
  void shouldReturnFromTheCloseAndWaitInTheProducersFlushBeforeTheCommit() throws Exception {
    BatchTracer tracer = tracer(60_000);
    Producer<byte[], byte[]> producer =
        new SpansBeforeCommitClientSupplier()
            .getProducer(Map.of("bootstrap.servers", "localhost:9", "client.id", "barrier-test"));
    try (producer) {
      // The thread's first commit shows that its producer waits.
      streamThread.submit(producer::flush).get(10, TimeUnit.SECONDS);

      streamThread
          .submit(
              () -> {
                endSpan("batch");
                tracer.exportEndedSpans();
              })
          .get(10, TimeUnit.SECONDS);
      assertThat(exporter.exportedNames()).as("the close returned before the export").isEmpty();

      CompletableFuture<List<String>> atCommit =
          CompletableFuture.supplyAsync(
              () -> {
                producer.flush();
                return exporter.exportedNames();
              },
              streamThread);
      Thread.sleep(200);
      assertThat(atCommit).as("the flush before the commit waits for the exporter").isNotDone();
      exporter.release();
      assertThat(atCommit.get(10, TimeUnit.SECONDS))
          .as("exported when the flush returned")
          .containsExactly("batch");
    }
  }

  @Test
  void shouldFailTheFlushWhenTheExporterDoesNotTakeTheSpansInTime() throws Exception {
    BatchTracer tracer = tracer(300);
    streamThread
        .submit(
            () -> {
              SpansBeforeCommit.beforeProducerFlush();
              endSpan("batch");
              tracer.exportEndedSpans();
            })
        .get(10, TimeUnit.SECONDS);

    CompletableFuture<Void> commit =
        CompletableFuture.runAsync(SpansBeforeCommit::beforeProducerFlush, streamThread);
    assertThatThrownBy(() -> commit.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(SpanExportTimeoutException.class);

    exporter.release();
    streamThread.submit(SpansBeforeCommit::beforeProducerFlush).get(10, TimeUnit.SECONDS);
    assertThat(exporter.exportedNames())
        .as("the next attempt waits for the same spans")
        .containsExactly("batch");
  }

  private BatchTracer tracer(long exportTimeoutMs) {
    return new BatchTracer(sdk, new BatchSpanSettings("app", "orders", 10, false), exportTimeoutMs);
  }

  private void endSpan(String name) {
    sdk.getTracer("test").spanBuilder(name).startSpan().end();
  }
}
