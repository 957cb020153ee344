package dev.spanlinks.app.report;

import dev.spanlinks.streams.trace.MessagingConventions;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the link map shows, built from spans: the batches (one per batch span) and the orders, each
 * linked order with the batch that took it (the way back), and the traced orders no batch linked
 * (late, dead-lettered, or in a window still open), where the producer's spans are there.
 */
record LinkMap(List<String> batchKeys, List<Batch> batches, List<Order> orders) {

  /** One closed batch. */
  record Batch(
      int keyIndex,
      long windowStartMs,
      long windowEndMs,
      String traceId,
      String spanId,
      long orderCount,
      long linked,
      long unlinked,
      long chunks) {}

  /**
   * One traced order.
   *
   * @param keyIndex its batch key, an index into {@link #batchKeys()}
   * @param batchIndex the batch that linked it, or -1 when none did
   */
  record Order(long eventTimeMs, int keyIndex, int batchIndex, String orderId, String traceId) {}

  static LinkMap of(List<SpanFile.Span> spans) {
    Map<String, Integer> keys = new LinkedHashMap<>();
    List<Batch> batches = new ArrayList<>();
    Map<String, Integer> batchBySpanId = new HashMap<>();
    for (SpanFile.Span span : spans) {
      if (span.name().equals(SpanlinksAttributes.BATCH_SPAN_NAME)) {
        Map<String, String> a = span.attributes();
        String key = a.getOrDefault(SpanlinksAttributes.BATCH_KEY.getKey(), "");
        int keyIndex = keys.computeIfAbsent(key, k -> keys.size());
        batchBySpanId.put(span.spanId(), batches.size());
        batches.add(
            new Batch(
                keyIndex,
                millis(a.get(SpanlinksAttributes.WINDOW_START.getKey()), span.startMs()),
                millis(a.get(SpanlinksAttributes.WINDOW_END.getKey()), span.startMs()),
                span.traceId(),
                span.spanId(),
                number(a.get("messaging.batch.message_count")),
                number(a.get(SpanlinksAttributes.ORDERS_LINKED.getKey())),
                number(a.get(SpanlinksAttributes.ORDERS_UNLINKED.getKey())),
                number(a.get(SpanlinksAttributes.LINK_CHUNKS.getKey()))));
      }
    }
    // A chunk trace's root links to its batch span; the trace's other chunks are its children.
    String linkTo = SpanlinksAttributes.LINK_TO.getKey();
    Map<String, Integer> batchByChunkRoot = new HashMap<>();
    for (SpanFile.Span span : spans) {
      if (span.name().equals(SpanlinksAttributes.CHUNK_SPAN_NAME)) {
        for (SpanFile.Link link : span.links()) {
          Integer batch = batchBySpanId.get(link.spanId());
          if (SpanlinksAttributes.LINK_TO_BATCH.equals(link.attributes().get(linkTo))
              && batch != null) {
            batchByChunkRoot.put(span.spanId(), batch);
          }
        }
      }
    }
    List<Order> orders = new ArrayList<>();
    Set<String> linked = new HashSet<>();
    // With lean links (spanlinks.link.attributes none or standard) a link has no order id or event
    // time: the order's own send span, when the file has it, does.
    Map<String, Map<String, String>> sendSpans = new HashMap<>();
    java.util.function.Function<SpanFile.Span, Integer> batchOfChunk =
        chunk -> {
          Integer batch = batchBySpanId.get(chunk.parentSpanId());
          if (batch == null) {
            batch = batchByChunkRoot.get(chunk.parentSpanId());
          }
          return batch == null ? batchByChunkRoot.get(chunk.spanId()) : batch;
        };
    for (SpanFile.Span span : spans) {
      if (span.kind().equals("PRODUCER")) {
        sendSpans.put(span.traceId() + "/" + span.spanId(), span.attributes());
      }
    }
    for (SpanFile.Span span : spans) {
      Integer batch =
          span.name().equals(SpanlinksAttributes.BATCH_SPAN_NAME)
              ? batchBySpanId.get(span.spanId())
              : span.name().equals(SpanlinksAttributes.CHUNK_SPAN_NAME)
                  ? batchOfChunk.apply(span)
                  : null;
      if (batch == null) {
        continue;
      }
      for (SpanFile.Link link : span.links()) {
        if (link.attributes().containsKey(linkTo)) {
          continue; // a link between the batch and a chunk trace, not an order
        }
        String context = link.traceId() + "/" + link.spanId();
        linked.add(context);
        Map<String, String> send = sendSpans.getOrDefault(context, Map.of());
        String eventTime = SpanlinksAttributes.ORDER_EVENT_TIME.getKey();
        String orderId = SpanlinksAttributes.ORDER_ID.getKey();
        orders.add(
            new Order(
                millis(
                    link.attributes().getOrDefault(eventTime, send.get(eventTime)),
                    batches.get(batch).windowStartMs()),
                batches.get(batch).keyIndex(),
                batch,
                link.attributes().getOrDefault(orderId, send.getOrDefault(orderId, "")),
                link.traceId()));
      }
    }
    for (SpanFile.Span span : spans) {
      String orderId = span.attributes().get(SpanlinksAttributes.ORDER_ID.getKey());
      if (span.kind().equals("PRODUCER")
          && orderId != null
          && !linked.contains(span.traceId() + "/" + span.spanId())) {
        // The record key under either name of the messaging conventions (see MessagingConventions).
        String key =
            span.attributes()
                .getOrDefault(
                    MessagingConventions.OLD_MESSAGE_KEY.getKey(),
                    span.attributes()
                        .getOrDefault(MessagingConventions.NEW_MESSAGE_KEY.getKey(), "(no key)"));
        orders.add(
            new Order(
                millis(
                    span.attributes().get(SpanlinksAttributes.ORDER_EVENT_TIME.getKey()),
                    span.startMs()),
                keys.computeIfAbsent(key, k -> keys.size()),
                -1,
                orderId,
                span.traceId()));
      }
    }
    return new LinkMap(List.copyOf(keys.keySet()), batches, orders);
  }

  private static long millis(String iso, long fallback) {
    if (iso == null) {
      return fallback;
    }
    try {
      return Instant.parse(iso).toEpochMilli();
    } catch (DateTimeParseException e) {
      return fallback;
    }
  }

  private static long number(String value) {
    try {
      return value == null ? 0 : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
