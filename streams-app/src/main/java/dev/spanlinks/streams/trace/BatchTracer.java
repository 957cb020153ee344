package dev.spanlinks.streams.trace;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
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

  /** Longest a close waits for its spans to leave; the stream thread must not stall for long. */
  private static final long FLUSH_TIMEOUT_SECONDS = 5;

  private final OpenTelemetry openTelemetry;
  private final Tracer tracer;
  private final BatchSpanSettings settings;
  private final AtomicBoolean warnedRandomIds = new AtomicBoolean();
  private final AtomicBoolean warnedDroppedLinks = new AtomicBoolean();

  public BatchTracer(OpenTelemetry openTelemetry, BatchSpanSettings settings) {
    this.openTelemetry = openTelemetry;
    this.tracer = openTelemetry.getTracer(INSTRUMENTATION_SCOPE);
    this.settings = settings;
  }

  /**
   * Exports the ended batch spans now, before Kafka Streams commits the batches they belong to.
   * Spans are not part of the Kafka transaction: exported first, a crash before the commit only
   * re-emits the same span ids; committed first, a crash (SIGKILL) before the exporter's next run
   * would lose them. Only an SDK of ours can be flushed (not the Java agent's).
   */
  public void exportEndedSpans() {
    if (openTelemetry instanceof OpenTelemetrySdk sdk) {
      CompletableResultCode flushed =
          sdk.getSdkTracerProvider().forceFlush().join(FLUSH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (!flushed.isSuccess()) {
        log.warn(
            "Batch spans were not exported within {} s; they stay queued in the exporter and are"
                + " lost if the process dies before they leave. Is the OTLP endpoint reachable?",
            FLUSH_TIMEOUT_SECONDS);
      }
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
