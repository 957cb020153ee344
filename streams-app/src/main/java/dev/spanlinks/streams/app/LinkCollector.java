package dev.spanlinks.streams.app;

import dev.spanlinks.streams.trace.BatchSpans;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.LinkData;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps the links of ended batch and link chunk spans until the batch is printed ({@code replay
 * --links}). Holds one batch's links at a time in practice: a batch is printed right after its
 * spans end.
 */
final class LinkCollector implements SpanProcessor {
  private final Map<String, List<String>> linksByTrace = new HashMap<>();

  @Override
  public void onStart(Context parentContext, ReadWriteSpan span) {}

  @Override
  public boolean isStartRequired() {
    return false;
  }

  @Override
  public synchronized void onEnd(ReadableSpan span) {
    if (!span.getName().equals(BatchSpans.BATCH_SPAN_NAME)
        && !span.getName().equals(BatchSpans.CHUNK_SPAN_NAME)) {
      return;
    }
    List<String> links =
        linksByTrace.computeIfAbsent(span.getSpanContext().getTraceId(), id -> new ArrayList<>());
    for (LinkData link : span.toSpanData().getLinks()) {
      links.add(link.getSpanContext().getTraceId() + "-" + link.getSpanContext().getSpanId());
    }
  }

  @Override
  public boolean isEndRequired() {
    return true;
  }

  /** The links of the batch trace, in the order they were added; forgets them. */
  synchronized List<String> take(String batchTraceId) {
    List<String> links = linksByTrace.remove(batchTraceId);
    return links == null ? List.of() : links;
  }
}
