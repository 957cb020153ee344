package dev.spanlinks.streams.trace;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the spans of closing batches. One per processor instance; not thread-safe, as a Kafka
 * Streams processor is only ever called by its own stream thread.
 */
public final class BatchTracer {
  static final String INSTRUMENTATION_SCOPE = "dev.spanlinks.streams";
  private static final Logger log = LoggerFactory.getLogger(BatchTracer.class);

  /**
   * Chunk spans between two waits for the exporter. A chunk span of 1,000 links holds about 0.4 MB
   * of heap until it is exported; the batch span processor's queue takes 2,048 spans, so a fast
   * close and a slower exporter could otherwise hold a whole million-order batch at once.
   */
  static final int CHUNKS_PER_EXPORT_WAIT = 32;

  /** Longest wait for the exporter; after that the close goes on without waiting. */
  static final long EXPORT_WAIT_SECONDS = 10;

  private final Tracer tracer;
  private final SdkTracerProvider sdkTracerProvider;
  private final BatchSpanSettings settings;
  private final AtomicBoolean warnedRandomIds = new AtomicBoolean();
  private final AtomicBoolean warnedDroppedLinks = new AtomicBoolean();
  private final AtomicBoolean warnedSlowExport = new AtomicBoolean();

  public BatchTracer(OpenTelemetry openTelemetry, BatchSpanSettings settings) {
    this.tracer = openTelemetry.getTracer(INSTRUMENTATION_SCOPE);
    this.sdkTracerProvider =
        openTelemetry instanceof OpenTelemetrySdk sdk ? sdk.getSdkTracerProvider() : null;
    this.settings = settings;
  }

  /**
   * Exports the ended batch spans now, before Kafka Streams commits the batches they belong to.
   * Spans are not part of the Kafka transaction: exported first, a crash before the commit only
   * re-emits the same span ids; committed first, a crash (SIGKILL) before the exporter's next run
   * would lose them. Only an SDK of ours can be flushed (not the Java agent's).
   */
  public void exportEndedSpans() {
    if (!flushSpans().join(EXPORT_WAIT_SECONDS, TimeUnit.SECONDS).isSuccess()) {
      log.warn(
          "Batch spans were not exported within {} s; they stay queued in the exporter and are"
              + " lost if the process dies before they leave. Is the OTLP endpoint reachable?",
          EXPORT_WAIT_SECONDS);
    }
  }

  /** Begins one batch: links are then added order by order, and spans start as chunks fill. */
  public BatchSpans begin(String batchKey, Instant windowStart, Instant windowEnd) {
    return new BatchSpans(this, batchKey, windowStart, windowEnd);
  }

  Tracer tracer() {
    return tracer;
  }

  BatchSpanSettings settings() {
    return settings;
  }

  /**
   * Hands every ended span to the exporter; the result completes once they are exported. Only an
   * SDK of ours can be flushed (the Java agent's is left alone): the result is then already done.
   */
  CompletableResultCode flushSpans() {
    return sdkTracerProvider == null
        ? CompletableResultCode.ofSuccess()
        : sdkTracerProvider.forceFlush();
  }

  /** Waits for an earlier {@link #flushSpans()}; false when the exporter took too long. */
  boolean awaitExport(CompletableResultCode flush) {
    if (flush.join(EXPORT_WAIT_SECONDS, TimeUnit.SECONDS).isDone()) {
      return true;
    }
    if (warnedSlowExport.compareAndSet(false, true)) {
      log.warn(
          "The span exporter took over {} s for {} chunk spans; closing the batch without waiting"
              + " for it. Spans may queue up in memory or be dropped by the span processor.",
          EXPORT_WAIT_SECONDS,
          CHUNKS_PER_EXPORT_WAIT);
    }
    return false;
  }

  void warnRandomIdsOnce() {
    if (warnedRandomIds.compareAndSet(false, true)) {
      log.warn(
          "Batch spans get random ids: the OpenTelemetry SDK in use was not built with spanlinks'"
              + " DeterministicIdGenerator (is the OpenTelemetry Java agent attached?). A batch"
              + " re-emitted after a crash will then show up as a second trace.");
    }
  }

  void warnDroppedLinksOnce(long dropped) {
    if (warnedDroppedLinks.compareAndSet(false, true)) {
      log.error(
          "The OpenTelemetry SDK dropped span links. dropped=[{}] links.per.span=[{}]. Raise"
              + " OTEL_SPAN_LINK_COUNT_LIMIT to at least spanlinks.links.per.span.",
          dropped,
          settings.linksPerSpan());
    }
  }
}
