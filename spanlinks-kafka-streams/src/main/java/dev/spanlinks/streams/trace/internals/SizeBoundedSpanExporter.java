package dev.spanlinks.streams.trace.internals;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits what the batch span processor hands over into export requests of at most {@link
 * #maxRequestBytes} of OTLP, sent one after the other. A span count alone cannot bound a request:
 * batch spans of one link and chunk spans of a thousand links differ by three orders of magnitude.
 * Bounded by bytes, the processor can hand over its default 512 spans at a time, and thousands of
 * small batch spans go out in a few requests instead of a thousand.
 *
 * <p>Sizes are the upper bounds of {@link OtlpSizes}, never a second encoding. A span that alone
 * exceeds the bound is still sent, alone, and counted: a collector may refuse it, and that is then
 * visible in its own count and in ours.
 */
public final class SizeBoundedSpanExporter implements SpanExporter {
  /**
   * Below the 4 MiB that gRPC receivers accept by default (the OpenTelemetry Collector, Tempo,
   * Jaeger), with room for the request's resource and scope.
   */
  public static final long DEFAULT_MAX_REQUEST_BYTES = 3L * 1024 * 1024;

  /** Resource, scope and framing of one request, beyond its spans. */
  static final long REQUEST_OVERHEAD_BYTES = 4_096;

  private static final Logger log = LoggerFactory.getLogger(SizeBoundedSpanExporter.class);

  private final SpanExporter delegate;
  private final long maxRequestBytes;
  private final LongAdder oversizedSpans = new LongAdder();

  public SizeBoundedSpanExporter(SpanExporter delegate, long maxRequestBytes) {
    if (maxRequestBytes <= REQUEST_OVERHEAD_BYTES) {
      throw new IllegalArgumentException(
          "maxRequestBytes must exceed " + REQUEST_OVERHEAD_BYTES + ": " + maxRequestBytes);
    }
    this.delegate = delegate;
    this.maxRequestBytes = maxRequestBytes;
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    if (plainlyFitOneRequest(spans)) {
      return delegate.export(spans);
    }
    List<List<SpanData>> requests = split(spans);
    if (requests.size() == 1) {
      return delegate.export(requests.get(0));
    }
    CompletableResultCode all = new CompletableResultCode();
    exportFrom(requests, 0, true, all);
    return all;
  }

  /**
   * Sends request {@code next} once the one before it has completed, so that one batch of the
   * processor never has more than one request in flight.
   */
  private void exportFrom(
      List<List<SpanData>> requests, int next, boolean allSucceeded, CompletableResultCode all) {
    if (next == requests.size()) {
      if (allSucceeded) {
        all.succeed();
      } else {
        all.fail();
      }
      return;
    }
    CompletableResultCode sent = delegate.export(requests.get(next));
    sent.whenComplete(() -> exportFrom(requests, next + 1, allSucceeded && sent.isSuccess(), all));
  }

  /**
   * True when even the loose bounds of the spans (three bytes a char of text) fit one request: then
   * no text needs a closer look. Counting every char of every attribute was a third of the span
   * processor thread's work at 100,000 one-order batches an hour.
   */
  boolean plainlyFitOneRequest(Collection<SpanData> spans) {
    long bytes = REQUEST_OVERHEAD_BYTES;
    for (SpanData span : spans) {
      bytes += bytes(span, OtlpSizes.Text.LOOSE);
      if (bytes > maxRequestBytes) {
        return false;
      }
    }
    return true;
  }

  /** Consecutive runs of spans, each within the bound (or a single span past it). */
  List<List<SpanData>> split(Collection<SpanData> spans) {
    List<List<SpanData>> requests = new ArrayList<>();
    List<SpanData> current = new ArrayList<>();
    long currentBytes = REQUEST_OVERHEAD_BYTES;
    for (SpanData span : spans) {
      long bytes = bytes(span, OtlpSizes.Text.EXACT);
      if (!current.isEmpty() && currentBytes + bytes > maxRequestBytes) {
        requests.add(current);
        current = new ArrayList<>();
        currentBytes = REQUEST_OVERHEAD_BYTES;
      }
      if (REQUEST_OVERHEAD_BYTES + bytes > maxRequestBytes) {
        countOversized(span, bytes);
      }
      current.add(span);
      currentBytes += bytes;
    }
    requests.add(current);
    return requests;
  }

  /** Spans sent alone because each exceeded the request bound by itself. */
  long oversizedSpans() {
    return oversizedSpans.sum();
  }

  static long bytes(SpanData span, OtlpSizes.Text count) {
    long bytes =
        OtlpSizes.SPAN_WITHOUT_ATTRIBUTES
            + OtlpSizes.text(span.getName(), count)
            + OtlpSizes.text(span.getStatus().getDescription(), count)
            + OtlpSizes.attributes(span.getAttributes(), count);
    for (LinkData link : span.getLinks()) {
      bytes += OtlpSizes.link(link.getSpanContext(), link.getAttributes(), count);
    }
    for (EventData event : span.getEvents()) {
      bytes += OtlpSizes.event(event.getName(), event.getAttributes(), count);
    }
    return bytes;
  }

  /** Counts the span; logs the first and then every 1,000th, with the count so far. */
  private void countOversized(SpanData span, long bytes) {
    oversizedSpans.increment();
    long count = oversizedSpans.sum();
    if (count == 1 || count % 1_000 == 0) {
      log.warn(
          "A span exceeds the OTLP request bound on its own and is sent alone; a collector may"
              + " refuse it. Lower spanlinks.links.per.span or the link attributes."
              + " span=[{}] bytes=[{}] maxRequestBytes=[{}] oversizedSpansSoFar=[{}]",
          span.getName(),
          bytes,
          maxRequestBytes,
          count);
    }
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
    return "SizeBoundedSpanExporter{maxRequestBytes=" + maxRequestBytes + ", " + delegate + "}";
  }
}
