package dev.spanlinks.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spanlinks.app.orders.ModelEvent;
import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.app.orders.Outcome;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import dev.spanlinks.streams.trace.internals.BatchIds;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * What a run on a broker emitted, as the model's {@link Outcome}s: batch records with their spans
 * as received over OTLP, late records and dead letters. The input step of each is unknown here, so
 * every outcome has step 0 and the comparison is per partition as a multiset; late records, whose
 * topic is stamped with the broker's append time, have timestamp 0.
 */
final class BrokerOutcomes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();

  private final String applicationId;
  private final int linksPerSpan;

  /** Distinct batch and chunk spans by {@code traceId/spanId}. */
  private final Map<String, Span> spans = new LinkedHashMap<>();

  private final List<String> spanIssues = new ArrayList<>();

  BrokerOutcomes(String applicationId, int linksPerSpan, List<OtlpReceiver.ReceivedSpan> received) {
    this.applicationId = applicationId;
    this.linksPerSpan = linksPerSpan;
    for (OtlpReceiver.ReceivedSpan r : received) {
      Span span = r.span();
      if (!span.getName().equals(SpanlinksAttributes.BATCH_SPAN_NAME)
          && !span.getName().equals(SpanlinksAttributes.CHUNK_SPAN_NAME)) {
        continue;
      }
      String id = id(span);
      Span earlier = spans.putIfAbsent(id, span);
      // A batch re-emitted after a crash has the same ids: it must be the same batch.
      if (earlier != null && !earlier.getLinksList().equals(span.getLinksList())) {
        spanIssues.add("span " + id + " received twice with different links");
      }
    }
  }

  Map<String, Span> spans() {
    return spans;
  }

  List<String> spanIssues() {
    return spanIssues;
  }

  static String id(Span span) {
    return ItSupport.ids(span.getTraceId().toByteArray(), span.getSpanId().toByteArray());
  }

  /** A batch record and its spans, with every inconsistency between them as an issue. */
  Outcome.Batch batch(ConsumerRecord<String, OrderBatch> record) {
    OrderBatch batch = record.value();
    List<String> issues = new ArrayList<>();
    long windowStart = batch.windowStart().toEpochMilli();
    check(issues, "batchKey", record.key(), batch.batchKey());
    check(issues, "windowEnd", windowStart + ModelPlan.WINDOW_MS, batch.windowEnd().toEpochMilli());
    BatchIds ids = new BatchIds(applicationId, batch.batchKey(), windowStart, batch.partition());
    check(issues, "traceId", ids.traceId(), batch.traceId());
    check(issues, "spanId", ids.spanId(0), batch.spanId());
    check(
        issues,
        "traceparent headers",
        List.of("00-" + batch.traceId() + "-" + batch.spanId() + "-01"),
        StreamSupport.stream(record.headers().headers("traceparent").spliterator(), false)
            .map(h -> new String(h.value(), StandardCharsets.UTF_8))
            .toList());
    Span root = spans.get(batch.traceId() + "/" + batch.spanId());
    List<Outcome.LinkOut> links = new ArrayList<>();
    List<Span> chunks = new ArrayList<>();
    if (root == null || !root.getName().equals(SpanlinksAttributes.BATCH_SPAN_NAME)) {
      issues.add("no batch span received");
    } else {
      check(issues, "batch span parent", true, root.getParentSpanId().isEmpty());
      collectLinks(issues, root, links);
      for (Span span : spans.values()) {
        if (span.getName().equals(SpanlinksAttributes.CHUNK_SPAN_NAME)
            && span.getTraceId().equals(root.getTraceId())
            && span.getParentSpanId().equals(root.getSpanId())) {
          chunks.add(span);
        }
      }
      chunks.sort(Comparator.comparingLong(BrokerOutcomes::chunkIndex));
      for (int i = 0; i < chunks.size(); i++) {
        check(issues, "chunk index", (long) i + 1, chunkIndex(chunks.get(i)));
        collectLinks(issues, chunks.get(i), links);
      }
    }
    check(issues, "links vs linkedCount", batch.linkedCount(), (long) links.size());
    check(issues, "chunk spans vs linkChunkCount", batch.linkChunkCount(), chunks.size());
    return new Outcome.Batch(
        0,
        record.key(),
        windowStart,
        batch.orderCount(),
        batch.linkedCount(),
        batch.unlinkedCount(),
        batch.duplicateCount(),
        batch.linkChunkCount(),
        batch.totals(),
        record.timestamp(),
        links,
        issues);
  }

  private void collectLinks(List<String> issues, Span span, List<Outcome.LinkOut> links) {
    if (span.getLinksCount() > linksPerSpan || span.getDroppedLinksCount() != 0) {
      issues.add(
          span.getName()
              + " has "
              + span.getLinksCount()
              + " links ("
              + span.getDroppedLinksCount()
              + " dropped), at most "
              + linksPerSpan
              + " allowed");
    }
    for (Span.Link link : span.getLinksList()) {
      links.add(
          new Outcome.LinkOut(
              HEX.formatHex(link.getTraceId().toByteArray()),
              HEX.formatHex(link.getSpanId().toByteArray()),
              String.format("%02x", link.getFlags() & 0xff),
              link.getTraceState(),
              stringAttribute(link.getAttributesList(), SpanlinksAttributes.ORDER_ID.getKey())));
    }
  }

  private static long chunkIndex(Span span) {
    return span.getAttributesList().stream()
        .filter(a -> a.getKey().equals(SpanlinksAttributes.LINK_CHUNK_INDEX.getKey()))
        .mapToLong(a -> a.getValue().getIntValue())
        .findFirst()
        .orElse(-1);
  }

  private static String stringAttribute(List<KeyValue> attributes, String key) {
    return attributes.stream()
        .filter(a -> a.getKey().equals(key))
        .map(a -> a.getValue().getStringValue())
        .findFirst()
        .orElse(null);
  }

  /** A record of the late topic. */
  static Outcome.Late late(ConsumerRecord<String, String> record) {
    String orderId;
    try {
      orderId = JSON.readTree(record.value()).path("orderId").asText(null);
    } catch (IOException e) {
      throw new UncheckedIOException("A late record that is not an order: " + record.value(), e);
    }
    return new Outcome.Late(0, record.key(), orderId, 0, render(record.headers()));
  }

  /** A record of the dead-letter topic. */
  static Outcome.DeadLetter deadLetter(ConsumerRecord<byte[], byte[]> record) {
    List<String> headers = new ArrayList<>();
    for (Header header : record.headers()) {
      // The handler's own headers: the reason (compared apart), where the record came from and
      // its own timestamp (the topic is stamped on write).
      if (!header.key().startsWith("__streams.errors.")
          && !header.key().equals("spanlinks.dead.letter.timestamp")) {
        headers.add(new ModelEvent.Header(header.key(), header.value()).render());
      }
    }
    return new Outcome.DeadLetter(
        0,
        Outcome.digest(record.key()),
        Outcome.digest(record.value()),
        headers,
        ItSupport.header(record.headers(), "__streams.errors.message"));
  }

  /** The input partition a dead letter came from, as Kafka's handler records it. */
  static int sourcePartition(ConsumerRecord<byte[], byte[]> record) {
    return Integer.parseInt(ItSupport.header(record.headers(), "__streams.errors.partition"));
  }

  static List<String> render(Headers headers) {
    return StreamSupport.stream(headers.spliterator(), false)
        .map(h -> new ModelEvent.Header(h.key(), h.value()).render())
        .toList();
  }

  /**
   * The model's outcome as a broker run can observe it: step 0, late timestamps 0, and link order
   * ids as OTLP carries them: strings go as UTF-8, so a lone surrogate (an order id the spec
   * accepts) arrives as {@code ?}.
   */
  static Outcome observable(Outcome outcome) {
    if (outcome instanceof Outcome.Batch b) {
      List<Outcome.LinkOut> links =
          b.links().stream()
              .map(
                  l ->
                      new Outcome.LinkOut(
                          l.traceId(),
                          l.spanId(),
                          l.flagsHex(),
                          l.traceState(),
                          l.orderId() == null
                              ? null
                              : new String(
                                  l.orderId().getBytes(StandardCharsets.UTF_8),
                                  StandardCharsets.UTF_8)))
              .toList();
      return new Outcome.Batch(
          0,
          b.key(),
          b.windowStartMs(),
          b.orderCount(),
          b.linkedCount(),
          b.unlinkedCount(),
          b.duplicateCount(),
          b.chunkCount(),
          b.totals(),
          b.timestampMs(),
          links,
          b.issues());
    }
    if (outcome instanceof Outcome.Late l) {
      return new Outcome.Late(0, l.key(), l.orderId(), 0, l.headers());
    }
    Outcome.DeadLetter d = (Outcome.DeadLetter) outcome;
    return new Outcome.DeadLetter(0, d.key(), d.value(), d.headers(), d.reason());
  }

  /**
   * The differences between two multisets of outcomes of one kind, as lines for a report: each
   * expected outcome missing and each actual one unexpected. Dead letters match when the actual
   * reason is one the expected accepts.
   */
  static List<String> differences(String where, List<Outcome> expected, List<Outcome> actual) {
    List<Outcome> unmatched = new ArrayList<>(expected);
    List<Outcome> unexpected = new ArrayList<>();
    for (Outcome got : actual) {
      Outcome match = null;
      for (Outcome wanted : unmatched) {
        Outcome accepted =
            wanted instanceof Outcome.DeadLetter letter && got instanceof Outcome.DeadLetter d
                ? letter.acceptingReason(d.reason())
                : wanted;
        if (accepted.equals(got)) {
          match = wanted;
          break;
        }
      }
      if (match == null) {
        unexpected.add(got);
      } else {
        unmatched.remove(match);
      }
    }
    List<String> lines = new ArrayList<>();
    // Pair a missing and an unexpected batch of the same (key, window): one changed batch.
    Map<String, Outcome> missingBatches = new TreeMap<>();
    for (Outcome wanted : unmatched) {
      String key = batchKey(wanted);
      if (key != null && !missingBatches.containsKey(key)) {
        missingBatches.put(key, wanted);
      } else {
        lines.add(where + " missing:    " + wanted);
      }
    }
    for (Outcome got : unexpected) {
      String key = batchKey(got);
      Outcome wanted = key == null ? null : missingBatches.remove(key);
      if (wanted != null) {
        lines.add(where + " differs:\n    expected " + wanted + "\n    actual   " + got);
      } else {
        lines.add(where + " unexpected: " + got);
      }
    }
    missingBatches.values().forEach(w -> lines.add(where + " missing:    " + w));
    return lines;
  }

  private static String batchKey(Outcome outcome) {
    return outcome instanceof Outcome.Batch b ? b.key() + "@" + b.windowStartMs() : null;
  }

  private static void check(List<String> issues, String what, Object expected, Object actual) {
    if (!Objects.equals(expected, actual)) {
      issues.add(what + ": expected " + expected + " but was " + actual);
    }
  }
}
