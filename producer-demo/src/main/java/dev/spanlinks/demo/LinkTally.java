package dev.spanlinks.demo;

import dev.spanlinks.streams.trace.SpanlinksAttributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.LinkData;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts, per linked span context, how many batch and chunk spans linked it, as the spans end in
 * the streams application's SDK. The demo's verdict is computed from it.
 */
final class LinkTally implements SpanProcessor {
  private final Map<String, Integer> links = new ConcurrentHashMap<>();

  @Override
  public void onStart(Context parentContext, ReadWriteSpan span) {}

  @Override
  public boolean isStartRequired() {
    return false;
  }

  @Override
  public void onEnd(ReadableSpan span) {
    if (span.getName().equals(SpanlinksAttributes.BATCH_SPAN_NAME)
        || span.getName().equals(SpanlinksAttributes.CHUNK_SPAN_NAME)) {
      for (LinkData link : span.toSpanData().getLinks()) {
        // Links between the batch span and its chunk traces are not orders.
        if (link.getAttributes().get(SpanlinksAttributes.LINK_TO) == null) {
          links.merge(key(link.getSpanContext()), 1, Integer::sum);
        }
      }
    }
  }

  @Override
  public boolean isEndRequired() {
    return true;
  }

  /** How many of {@code orders} were linked exactly once. */
  long linkedExactlyOnce(Collection<SpanContext> orders) {
    return orders.stream().filter(order -> links.getOrDefault(key(order), 0) == 1).count();
  }

  private static String key(SpanContext context) {
    return context.getTraceId() + "/" + context.getSpanId();
  }
}
