package dev.spanlinks.streams.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spanlinks.streams.SpansBeforeCommitClientSupplier;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A close hands its spans to the exporter and returns only where the thread's producer will wait
 * for them before the commit; the wait then happens in the producer's flush, and a flush that
 * cannot get them exported in time fails (so the commit never happens without them).
 */
class SpansBeforeCommitTest {
  private final CountDownLatch release = new CountDownLatch(1);
  private final List<String> exported = new CopyOnWriteArrayList<>();
  // Each case runs on a thread of its own: what a thread has seen is kept per thread.
  private final ExecutorService streamThread = Executors.newSingleThreadExecutor();
  private OpenTelemetrySdk sdk;

  @BeforeEach
  void gatedExporter() {
    SpanExporter gated =
        new SpanExporter() {
          @Override
          public CompletableResultCode export(Collection<SpanData> spans) {
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
    sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(
                        BatchSpanProcessor.builder(gated)
                            .setScheduleDelay(Duration.ofHours(1))
                            .build())
                    .build())
            .build();
  }

  @AfterEach
  void stop() {
    release.countDown();
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
    release.countDown();
    close.get(10, TimeUnit.SECONDS);
    assertThat(exported).containsExactly("batch");
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
      assertThat(exported).as("the close returned before the export").isEmpty();

      CompletableFuture<List<String>> atCommit =
          CompletableFuture.supplyAsync(
              () -> {
                producer.flush();
                return List.copyOf(exported);
              },
              streamThread);
      Thread.sleep(200);
      assertThat(atCommit).as("the flush before the commit waits for the exporter").isNotDone();
      release.countDown();
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

    release.countDown();
    streamThread.submit(SpansBeforeCommit::beforeProducerFlush).get(10, TimeUnit.SECONDS);
    assertThat(exported).as("the next attempt waits for the same spans").containsExactly("batch");
  }

  private BatchTracer tracer(long exportTimeoutMs) {
    return new BatchTracer(sdk, new BatchSpanSettings("app", "orders", 10, false), exportTimeoutMs);
  }

  private void endSpan(String name) {
    sdk.getTracer("test").spanBuilder(name).startSpan().end();
  }
}
