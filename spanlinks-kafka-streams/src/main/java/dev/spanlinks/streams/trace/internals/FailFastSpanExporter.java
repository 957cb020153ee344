package dev.spanlinks.streams.trace.internals;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a span exporter that fails from slowing the pipeline down. Every close and every commit
 * waits for its spans to be exported: with no collector listening, each of those waits lasted as
 * long as the exporter took to fail, and the application ran ten times slower.
 *
 * <p>While export works, each export is the delegate's, and its caller waits for it as ever, at
 * most {@link #attemptTimeoutMs} (the exporter's own timeout, plus a second: a collector that
 * accepts connections and never answers). Once one fails or passes that time, export is
 * <em>failing</em>: one warning names the destination and how to set or silence it; every span
 * handed over is counted as dropped ({@link #droppedSpans()}) and the export answers at once, with
 * a failure, without a network call; and every {@link #FIRST_RETRY_MS} ms (doubling up to {@link
 * #MAX_RETRY_MS}) one export goes to the delegate as a probe, which nobody waits for. The first
 * probe that succeeds ends the failing state, with a line that says how many spans were dropped.
 *
 * <p>A span is counted as dropped once: when the delegate answers its export with a failure, or
 * when it is handed over while export is failing. An export that passed the time limit and then
 * succeeded after all was delivered, and is not counted. Thread-safe.
 */
public final class FailFastSpanExporter implements SpanExporter {
  static final long FIRST_RETRY_MS = 5_000;
  static final long MAX_RETRY_MS = 60_000;
  private static final Logger log = LoggerFactory.getLogger(FailFastSpanExporter.class);

  /** Every span dropped by any instance in this JVM: what the offline replay reports. */
  private static final LongAdder droppedInJvm = new LongAdder();

  private static final ScheduledExecutorService DEADLINES =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "spanlinks-export-deadline");
            thread.setDaemon(true);
            return thread;
          });

  private final SpanExporter delegate;
  private final String destination;
  private final long attemptTimeoutMs;
  private final LongSupplier clockMs;
  private final LongAdder dropped = new LongAdder();
  private final AtomicBoolean probing = new AtomicBoolean();
  private boolean failing;
  private long nextProbeMs;
  private long retryMs = FIRST_RETRY_MS;
  private long droppedWhenFailingBegan;

  /**
   * @param destination where the delegate sends spans, and how to change or silence it, for the
   *     warning
   */
  public FailFastSpanExporter(SpanExporter delegate, String destination, long attemptTimeoutMs) {
    this(delegate, destination, attemptTimeoutMs, () -> System.nanoTime() / 1_000_000);
  }

  FailFastSpanExporter(
      SpanExporter delegate, String destination, long attemptTimeoutMs, LongSupplier clockMs) {
    this.delegate = delegate;
    this.destination = destination;
    this.attemptTimeoutMs = attemptTimeoutMs;
    this.clockMs = clockMs;
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    int count = spans.size();
    Boolean probe = failingAndProbe();
    if (probe == null) {
      return exportWaited(spans, count);
    }
    if (probe) {
      CompletableResultCode sent = delegate.export(spans);
      sent.whenComplete(() -> probeAnswered(sent.isSuccess(), count));
    } else {
      drop(count);
    }
    return CompletableResultCode.ofFailure();
  }

  /** Null while export works; else whether this export is the probe that is due. */
  private synchronized Boolean failingAndProbe() {
    if (!failing) {
      return null;
    }
    if (clockMs.getAsLong() >= nextProbeMs && probing.compareAndSet(false, true)) {
      return Boolean.TRUE;
    }
    return Boolean.FALSE;
  }

  private CompletableResultCode exportWaited(Collection<SpanData> spans, int count) {
    CompletableResultCode sent = delegate.export(spans);
    CompletableResultCode answer = new CompletableResultCode();
    sent.whenComplete(
        () -> {
          if (sent.isSuccess()) {
            recovered();
            answer.succeed();
          } else {
            drop(count);
            startFailing("the exporter answered with a failure");
            answer.fail();
          }
        });
    if (!sent.isDone()) {
      ScheduledFuture<?> deadline =
          DEADLINES.schedule(
              () -> {
                if (!answer.isDone()) {
                  startFailing("no answer within " + attemptTimeoutMs + " ms");
                  answer.fail();
                }
              },
              attemptTimeoutMs,
              TimeUnit.MILLISECONDS);
      sent.whenComplete(() -> deadline.cancel(false));
    }
    return answer;
  }

  private void probeAnswered(boolean delivered, int count) {
    if (delivered) {
      recovered();
    } else {
      drop(count);
      synchronized (this) {
        retryMs = Math.min(2 * retryMs, MAX_RETRY_MS);
        nextProbeMs = clockMs.getAsLong() + retryMs;
      }
    }
    probing.set(false);
  }

  private void drop(int count) {
    dropped.add(count);
    droppedInJvm.add(count);
  }

  private synchronized void startFailing(String why) {
    if (failing) {
      return;
    }
    failing = true;
    retryMs = FIRST_RETRY_MS;
    nextProbeMs = clockMs.getAsLong() + retryMs;
    droppedWhenFailingBegan = dropped.sum();
    log.warn(
        "Span export to {} is failing ({}): spans are dropped and counted"
            + " (spanlinks.spans.dropped) without waiting, and export is tried again every {} to"
            + " {} s; batches go on at full speed. Set OTEL_EXPORTER_OTLP_ENDPOINT to your"
            + " collector, or OTEL_TRACES_EXPORTER=none to export no spans.",
        destination,
        why,
        FIRST_RETRY_MS / 1000,
        MAX_RETRY_MS / 1000);
  }

  private synchronized void recovered() {
    if (!failing) {
      return;
    }
    failing = false;
    log.info(
        "Span export to {} works again. droppedWhileFailing=[{}]",
        destination,
        dropped.sum() - droppedWhenFailingBegan);
  }

  /** True while export is failing: see the class comment. */
  public synchronized boolean isFailing() {
    return failing;
  }

  /** Spans this exporter dropped: see the class comment. */
  public long droppedSpans() {
    return dropped.sum();
  }

  /** Spans every instance in this JVM dropped. */
  public static long droppedSpansInJvm() {
    return droppedInJvm.sum();
  }

  @Override
  public CompletableResultCode flush() {
    return delegate.flush();
  }

  @Override
  public CompletableResultCode shutdown() {
    return delegate.shutdown();
  }

  @Override
  public String toString() {
    return "FailFastSpanExporter{" + delegate + "}";
  }
}
