package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.model.Order;
import dev.spanlinks.streams.model.OrderBatch;
import dev.spanlinks.streams.trace.SpansBeforeCommit;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
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

  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger exported = new AtomicInteger();
  private final ExecutorService streamThread = Executors.newSingleThreadExecutor();

  @AfterEach
  void stop() {
    release.countDown();
    streamThread.shutdownNow();
  }

  @Test
  void shouldAskForACommitOnlyOnceTheClosedBatchesSpansAreExported() throws Exception {
    try (OpenTelemetrySdk sdk = gatedSdk()) {
      MockProcessorContext<String, Object> context = new MockProcessorContext<>();
      KeyValueStore<?, ?> contributions =
          Stores.keyValueStoreBuilder(
                  Stores.inMemoryKeyValueStore(Names.CONTRIBUTIONS_STORE),
                  Serdes.Bytes(),
                  Serdes.ByteArray())
              .withLoggingDisabled()
              .build();
      KeyValueStore<?, ?> progress =
          Stores.keyValueStoreBuilder(
                  Stores.inMemoryKeyValueStore(Names.WINDOW_PROGRESS_STORE),
                  Serdes.String(),
                  Serdes.Long())
              .withLoggingDisabled()
              .build();
      contributions.init(context.getStateStoreContext(), contributions);
      progress.init(context.getStateStoreContext(), progress);
      context.addStateStore(contributions);
      context.addStateStore(progress);
      CloseWindowsProcessor processor =
          new CloseWindowsProcessor(
              new BatchConfig(Map.of("application.id", "commits", "bootstrap.servers", "x:9")),
              sdk);

      onStreamThread(
          () -> {
            SpansBeforeCommit.beforeProducerFlush(); // this thread's producer waits for spans
            context.setCurrentSystemTimeMs(TEN + Duration.ofDays(1).toMillis());
            processor.init(context);
            processor.process(order("o-1", TEN + 60_000));
            processor.process(order("o-2", TEN + 2 * 3_600_000)); // closes the 10:00 window
          });
      assertThat(context.forwarded())
          .as("the batch is emitted while the exporter still holds its spans")
          .anyMatch(forward -> forward.record().value() instanceof OrderBatch);
      assertThat(exported.get()).isZero();
      assertThat(context.committed()).as("no commit while the spans are not out").isFalse();

      onStreamThread(() -> processor.process(order("o-3", TEN + 2 * 3_600_000 + 1)));
      assertThat(context.committed()).as("still not out: still no commit").isFalse();

      release.countDown();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (exported.get() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      onStreamThread(() -> processor.process(order("o-4", TEN + 2 * 3_600_000 + 2)));
      assertThat(context.committed()).as("the spans are out: the next record asks").isTrue();
    }
  }

  private void onStreamThread(Runnable step) throws Exception {
    streamThread.submit(step).get(10, TimeUnit.SECONDS);
  }

  private static Record<String, CapturedOrder> order(String id, long eventTimeMs) {
    Order order =
        new Order(id, null, null, BigDecimal.ONE, "EUR", Instant.ofEpochMilli(eventTimeMs));
    return new Record<>("eu", new CapturedOrder(order, TRACED, 0, 0), eventTimeMs);
  }

  private OpenTelemetrySdk gatedSdk() {
    SpanExporter gated =
        new SpanExporter() {
          @Override
          public CompletableResultCode export(Collection<SpanData> spans) {
            try {
              release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            exported.addAndGet(spans.size());
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
    return OpenTelemetrySdk.builder()
        .setTracerProvider(
            SdkTracerProvider.builder()
                .addSpanProcessor(
                    BatchSpanProcessor.builder(gated).setScheduleDelay(Duration.ofHours(1)).build())
                .build())
        .build();
  }
}
