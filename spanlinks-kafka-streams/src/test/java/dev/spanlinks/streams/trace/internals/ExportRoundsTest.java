package dev.spanlinks.streams.trace.internals;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The rounds a close exports its spans in, against the SDK's own batch span processor and an
 * exporter as slow as a collector: the close goes on ending spans while an earlier round is
 * exported, and never queues more than {@link BatchTracer#MAX_QUEUED_SPANS_PER_THREAD} spans per
 * stream thread, so a queue of exactly that size per thread drops none.
 */
class ExportRoundsTest {
  private static final int ROUND = BatchTracer.SPANS_PER_EXPORT_ROUND;

  /**
   * Two tasks on one SDK (several partitions per stream thread): once a close is past its first
   * rounds, a round's wait asks for no flush of its own, so it does not wait for the round just
   * ended. Every flush here completes 50 ms after it was asked for, so it is still running when
   * handed back; the old waits asked for two flushes a round (the confirmation, then the
   * hand-over).
   */
  @Test
  void shouldAskForOneFlushARoundOnceACloseIsPastItsFirstRounds() throws Exception {
    onAStreamThread(
        () -> {
          DelayedFlushes flushes = new DelayedFlushes(50);
          try (OpenTelemetrySdk sdk =
              OpenTelemetrySdk.builder()
                  .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(flushes).build())
                  .build()) {
            BatchSpanSettings settings = new BatchSpanSettings("app", "orders", 10, false);
            new BatchTracer(sdk, settings).exportEndedSpans();
            BatchTracer tracer = new BatchTracer(sdk, settings);
            tracer.exportEndedSpans();
            Tracer spans = sdk.getTracer("test");
            int rounds = 12;
            int before = flushes.asked.get();
            for (int n = 0; n < rounds * ROUND; n++) {
              spans.spanBuilder("process orders").startSpan().end();
              tracer.spanEnded();
            }
            int asked = flushes.asked.get() - before;
            tracer.exportEndedSpans();

            assertThat(asked)
                .as(
                    "flushes asked for in %d rounds: a hand-over each, a confirmation in the first"
                        + " two (the old waits: two a round), give or take a pause past 50 ms",
                    rounds)
                .isBetween(rounds, rounds + 4);
          } finally {
            flushes.stopCompleter();
          }
        });
  }

  /** Two tasks on one SDK, against the SDK's batch span processor and a 5 ms exporter. */
  @Test
  void shouldKeepNoMoreThanTheBoundUnexportedWithTasksSharingTheSdk() throws Exception {
    onAStreamThread(this::endRoundsWithTwoTasks);
  }

  private void endRoundsWithTwoTasks() {
    SlowExporter exporter = new SlowExporter(5, 0);
    try (OpenTelemetrySdk sdk = sdk(exporter, 100_000)) {
      BatchSpanSettings settings = new BatchSpanSettings("app", "orders", 10, false);
      new BatchTracer(sdk, settings).exportEndedSpans();
      BatchTracer tracer = new BatchTracer(sdk, settings);
      tracer.exportEndedSpans();
      Tracer spans = sdk.getTracer("test");
      long ended = 0;
      long mostUnexported = 0;
      for (int n = 0; n < 20 * ROUND; n++) {
        spans.spanBuilder("process orders").startSpan().end();
        ended++;
        mostUnexported = Math.max(mostUnexported, ended - exporter.exported.get());
        tracer.spanEnded();
      }
      tracer.exportEndedSpans();

      assertThat(exporter.exported.get()).isEqualTo(ended);
      assertThat(mostUnexported)
          .as("spans ended and not yet exported, at most")
          .isLessThanOrEqualTo(BatchTracer.MAX_QUEUED_SPANS_PER_THREAD);
    }
  }

  /**
   * One task alone on its SDK: every close returns only once its spans are exported, though the
   * flush it asks for last comes right after the wait for the one before, which the span processor
   * may still hand back, already complete.
   */
  @Test
  void shouldReturnFromACloseOnlyOnceItsSpansAreExportedWithOneTask() throws Exception {
    onAStreamThread(
        () -> {
          SlowExporter exporter = new SlowExporter(1, 2);
          try (OpenTelemetrySdk sdk = sdk(exporter, 100_000)) {
            BatchTracer tracer =
                new BatchTracer(sdk, new BatchSpanSettings("app", "orders", 10, false));
            Tracer spans = sdk.getTracer("test");
            SplittableRandom random = new SplittableRandom(7);
            long ended = 0;
            for (int close = 0; close < 20; close++) {
              int closing = 1 + random.nextInt(3 * ROUND);
              for (int n = 0; n < closing; n++) {
                spans.spanBuilder("process orders").startSpan().end();
                ended++;
                tracer.spanEnded();
              }
              tracer.exportEndedSpans();
              assertThat(exporter.exported.get())
                  .as("spans exported when close %d returned", close)
                  .isEqualTo(ended);
            }
          }
        });
  }

  @Test
  void shouldDropNoSpanWithAQueueOfExactlyTheBoundPerThread() throws Exception {
    int threads = 4;
    int tasksPerThread = 3;
    // Exports of 0-3 ms, at random: flushes are handed back running, complete and in between.
    SlowExporter exporter = new SlowExporter(0, 3);
    AtomicLong ended = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (OpenTelemetrySdk sdk = sdk(exporter, threads * BatchTracer.MAX_QUEUED_SPANS_PER_THREAD)) {
      BatchSpanSettings settings = new BatchSpanSettings("app", "orders", 10, false);
      List<Future<?>> streamThreads = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long seed = t;
        streamThreads.add(
            pool.submit(
                () -> {
                  SplittableRandom random = new SplittableRandom(seed);
                  List<BatchTracer> tasks = new ArrayList<>();
                  for (int task = 0; task < tasksPerThread; task++) {
                    tasks.add(new BatchTracer(sdk, settings));
                  }
                  Tracer spans = sdk.getTracer("test");
                  for (int close = 0; close < 6; close++) {
                    // The tasks of a stream thread close one after the other, in one poll loop.
                    for (BatchTracer task : tasks) {
                      int closing = random.nextInt(4 * ROUND);
                      for (int n = 0; n < closing; n++) {
                        spans.spanBuilder("process orders").startSpan().end();
                        ended.incrementAndGet();
                        task.spanEnded();
                      }
                      task.exportEndedSpans();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> streamThread : streamThreads) {
        streamThread.get(60, TimeUnit.SECONDS);
      }

      assertThat(exporter.exported.get())
          .as("spans exported (the span processor drops what its queue cannot take)")
          .isEqualTo(ended.get());
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Runs {@code close} on a thread of its own, as a stream thread: one whose producer has not been
   * seen waiting for spans before its commits, so a close waits for its own (see {@link
   * SpansBeforeCommit}).
   */
  private static void onAStreamThread(Runnable close) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                close.run();
                done.complete(null);
              } catch (Throwable t) {
                done.completeExceptionally(t);
              }
            });
    thread.start();
    try {
      done.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw e;
    }
  }

  /** The SDK's batch span processor, exporting only when flushed, with a queue of this size. */
  private static OpenTelemetrySdk sdk(SpanExporter exporter, int queueSize) {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(
            SdkTracerProvider.builder()
                .addSpanProcessor(
                    BatchSpanProcessor.builder(exporter)
                        .setScheduleDelay(Duration.ofHours(1))
                        .setMaxQueueSize(queueSize)
                        .setMaxExportBatchSize(Math.min(queueSize, 512))
                        .build())
                .build())
        .build();
  }

  /**
   * A span processor whose every flush completes {@code delayMs} after it is asked for, counting
   * the flushes asked for.
   */
  private static final class DelayedFlushes implements SpanProcessor {
    final AtomicInteger asked = new AtomicInteger();
    private final long delayMs;
    private final ScheduledExecutorService completer = Executors.newSingleThreadScheduledExecutor();

    DelayedFlushes(long delayMs) {
      this.delayMs = delayMs;
    }

    @Override
    public CompletableResultCode forceFlush() {
      asked.incrementAndGet();
      CompletableResultCode flush = new CompletableResultCode();
      completer.schedule(flush::succeed, delayMs, TimeUnit.MILLISECONDS);
      return flush;
    }

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {}

    @Override
    public boolean isStartRequired() {
      return false;
    }

    @Override
    public void onEnd(ReadableSpan span) {}

    @Override
    public boolean isEndRequired() {
      return false;
    }

    void stopCompleter() {
      completer.shutdownNow();
    }
  }

  /** Takes {@code fixedMs} plus up to {@code randomMs} an export, then counts its spans. */
  private static final class SlowExporter implements SpanExporter {
    final AtomicLong exported = new AtomicLong();
    private final long fixedMs;
    private final int randomMs;
    private final SplittableRandom random = new SplittableRandom(42);

    SlowExporter(long fixedMs, int randomMs) {
      this.fixedMs = fixedMs;
      this.randomMs = randomMs;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      try {
        // Only the span processor's one worker thread exports: the random source is not shared.
        Thread.sleep(fixedMs + (randomMs == 0 ? 0 : random.nextInt(randomMs + 1)));
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
  }
}
