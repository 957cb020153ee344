package dev.spanlinks.app;

import dev.spanlinks.streams.trace.SpanlinksAttributes;
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
  private final Map<String, String> batchTraceByChunkTrace = new HashMap<>();

  @Override
  public void onStart(Context parentContext, ReadWriteSpan span) {}

  @Override
  public boolean isStartRequired() {
    return false;
  }

  @Override
  public synchronized void onEnd(ReadableSpan span) {
    if (!span.getName().equals(SpanlinksAttributes.BATCH_SPAN_NAME)
        && !span.getName().equals(SpanlinksAttributes.CHUNK_SPAN_NAME)) {
      return;
    }
    String traceId = span.getSpanContext().getTraceId();
    List<LinkData> all = span.toSpanData().getLinks();
    for (LinkData link : all) {
      // A chunk trace's root links to its batch span: its trace's links are the batch's.
      if (SpanlinksAttributes.LINK_TO_BATCH.equals(
          link.getAttributes().get(SpanlinksAttributes.LINK_TO))) {
        batchTraceByChunkTrace.put(traceId, link.getSpanContext().getTraceId());
      }
    }
    List<String> links =
        linksByTrace.computeIfAbsent(
            batchTraceByChunkTrace.getOrDefault(traceId, traceId), id -> new ArrayList<>());
    for (LinkData link : all) {
      if (link.getAttributes().get(SpanlinksAttributes.LINK_TO) == null) {
        links.add(link.getSpanContext().getTraceId() + "-" + link.getSpanContext().getSpanId());
      }
    }
  }

  @Override
  public boolean isEndRequired() {
    return true;
  }

  /** The links of the batch trace, in the order they were added; forgets them. */
  synchronized List<String> take(String batchTraceId) {
    batchTraceByChunkTrace.values().removeIf(batchTraceId::equals);
    List<String> links = linksByTrace.remove(batchTraceId);
    return links == null ? List.of() : links;
  }
}
