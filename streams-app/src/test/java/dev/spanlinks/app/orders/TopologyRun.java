package dev.spanlinks.app.orders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spanlinks.streams.DeadLetterHandler;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import dev.spanlinks.streams.trace.internals.BatchIds;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.StreamSupport;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Drives the real topology ({@link TopologyFixture}) through a sequence of {@link ModelEvent}s and
 * turns everything it emits (batch records with their spans, late records, dead letters) into
 * {@link Outcome}s, each tagged with the event during which it came out.
 */
final class TopologyRun {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What came out, and the exception that stopped the topology, if one did.
   *
   * @param crashStep the event that threw, or -1
   * @param recordsRead the records sent before the run ended
   */
  record Observed(List<Outcome> outcomes, int crashStep, String crash, long recordsRead) {}

  private final Map<String, Object> settings;
  private final long windowMs;
  private final int linksPerSpan;
  private final List<Outcome> outcomes = new ArrayList<>();

  TopologyRun(Map<String, Object> settings, long windowMs, int linksPerSpan) {
    this.settings = settings;
    this.windowMs = windowMs;
    this.linksPerSpan = linksPerSpan;
  }

  Observed run(Path stateDir, Instant wallClockStart, List<ModelEvent> events) {
    TopologyFixture fixture = TopologyFixture.restartable(stateDir, settings, wallClockStart);
    long recordsRead = 0;
    try {
      for (int step = 0; step < events.size(); step++) {
        ModelEvent event = events.get(step);
        try {
          if (event instanceof ModelEvent.Send send) {
            recordsRead++;
            fixture.rawOrders.pipeInput(toRecord(send));
          } else if (event instanceof ModelEvent.AdvanceWall advance) {
            fixture.advanceWallClock(Duration.ofMillis(advance.millis()));
          } else {
            drain(fixture, step);
            fixture = fixture.restart();
          }
        } catch (RuntimeException e) {
          drain(fixture, step);
          return new Observed(outcomes, step, describe(e), recordsRead);
        }
        drain(fixture, step);
      }
      return new Observed(outcomes, -1, null, recordsRead);
    } finally {
      try {
        fixture.close();
      } catch (RuntimeException ignored) {
        // a driver that threw may not close cleanly; the outcome is already recorded
      }
    }
  }

  private static TestRecord<byte[], byte[]> toRecord(ModelEvent.Send send) {
    Headers headers = new RecordHeaders();
    for (ModelEvent.Header header : send.headers()) {
      headers.add(header.key(), header.value());
    }
    return new TestRecord<>(
        send.key(), send.value(), headers, Instant.ofEpochMilli(send.timestampMs()));
  }

  private void drain(TopologyFixture fixture, int step) {
    List<SpanData> spans = new ArrayList<>(fixture.finishedSpans());
    fixture.spans.reset();
    for (TestRecord<String, OrderBatch> record : fixture.batches.readRecordsToList()) {
      outcomes.add(batchOf(step, record, spans));
    }
    if (!spans.isEmpty()) {
      outcomes.add(
          new Outcome.Batch(
              step,
              "<spans without a batch record>",
              0,
              0,
              0,
              0,
              0,
              0,
              new java.util.TreeMap<>(),
              0,
              List.of(),
              spans.stream().map(SpanData::toString).toList()));
    }
    for (TestRecord<String, String> record : fixture.late.readRecordsToList()) {
      outcomes.add(
          new Outcome.Late(
              step,
              record.key(),
              orderIdOf(record.value()),
              record.timestamp(),
              render(record.headers())));
    }
    for (TestRecord<byte[], byte[]> record : fixture.deadLetters.readRecordsToList()) {
      outcomes.add(
          new Outcome.DeadLetter(
              step,
              Outcome.digest(record.key()),
              Outcome.digest(record.value()),
              render(withoutErrorHeaders(record.headers())),
              InputHandlingTest.header(record.headers(), DeadLetterHandler.HEADER_MESSAGE)));
    }
  }

  /** The batch record and its spans, which are removed from {@code spans}. */
  private Outcome.Batch batchOf(
      int step, TestRecord<String, OrderBatch> record, List<SpanData> spans) {
    OrderBatch batch = record.value();
    List<String> issues = new ArrayList<>();
    long windowStart = batch.windowStart().toEpochMilli();
    check(issues, "batchKey", record.key(), batch.batchKey());
    check(issues, "windowEnd", windowStart + windowMs, batch.windowEnd().toEpochMilli());
    // The test driver has one partition, 0.
    BatchIds ids = new BatchIds(TopologyFixture.APPLICATION_ID, batch.batchKey(), windowStart, 0);
    check(issues, "traceId", ids.traceId(), batch.traceId());
    check(issues, "spanId", ids.spanId(0), batch.spanId());
    check(
        issues,
        "traceparent headers",
        List.of("00-" + batch.traceId() + "-" + batch.spanId() + "-01"),
        OrdersTopologyTest.traceparents(record));

    List<SpanData> ofBatch =
        spans.stream().filter(s -> s.getTraceId().equals(batch.traceId())).toList();
    spans.removeAll(ofBatch);
    List<SpanData> roots =
        ofBatch.stream()
            .filter(s -> s.getName().equals(SpanlinksAttributes.BATCH_SPAN_NAME))
            .toList();
    List<SpanData> chunks =
        ofBatch.stream()
            .filter(s -> s.getName().equals(SpanlinksAttributes.CHUNK_SPAN_NAME))
            .sorted(
                Comparator.comparing(
                    s -> s.getAttributes().get(SpanlinksAttributes.LINK_CHUNK_INDEX)))
            .toList();
    check(issues, "spans", ofBatch.size(), roots.size() + chunks.size());
    check(issues, "batch spans", 1, roots.size());
    List<Outcome.LinkOut> links = new ArrayList<>();
    if (roots.size() == 1) {
      SpanData root = roots.get(0);
      check(issues, "batch span id", batch.spanId(), root.getSpanId());
      check(issues, "batch span parent", false, root.getParentSpanContext().isValid());
      check(
          issues,
          "batch span orders",
          batch.orderCount(),
          root.getAttributes()
              .get(
                  io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes
                      .MESSAGING_BATCH_MESSAGE_COUNT));
      collectLinks(issues, root, links);
      for (int i = 0; i < chunks.size(); i++) {
        SpanData chunk = chunks.get(i);
        check(
            issues,
            "chunk index",
            (long) i + 1,
            chunk.getAttributes().get(SpanlinksAttributes.LINK_CHUNK_INDEX));
        check(issues, "chunk parent", root.getSpanId(), chunk.getParentSpanId());
        collectLinks(issues, chunk, links);
      }
    }
    check(issues, "links vs linkedCount", batch.linkedCount(), (long) links.size());
    check(
        issues,
        "chunk spans vs linkChunkCount",
        (long) batch.linkChunkCount(),
        (long) chunks.size());
    return new Outcome.Batch(
        step,
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

  private void collectLinks(List<String> issues, SpanData span, List<Outcome.LinkOut> links) {
    if (span.getLinks().size() > linksPerSpan
        || span.getTotalRecordedLinks() != span.getLinks().size()) {
      issues.add(
          span.getName()
              + " has "
              + span.getLinks().size()
              + " links of "
              + span.getTotalRecordedLinks()
              + " recorded, at most "
              + linksPerSpan
              + " allowed");
    }
    for (LinkData link : span.getLinks()) {
      SpanContext context = link.getSpanContext();
      List<String> state = new ArrayList<>();
      context.getTraceState().forEach((k, v) -> state.add(k + "=" + v));
      links.add(
          new Outcome.LinkOut(
              context.getTraceId(),
              context.getSpanId(),
              context.getTraceFlags().asHex(),
              String.join(",", state),
              link.getAttributes().get(SpanlinksAttributes.ORDER_ID)));
    }
  }

  private static void check(List<String> issues, String what, Object expected, Object actual) {
    if (!Objects.equals(expected, actual)) {
      issues.add(what + ": expected " + expected + " but was " + actual);
    }
  }

  private static String orderIdOf(String lateValue) {
    try {
      JsonNode order = JSON.readTree(lateValue);
      return order.path("orderId").asText(null);
    } catch (IOException e) {
      throw new UncheckedIOException("A late record that is not an order: " + lateValue, e);
    }
  }

  private static Headers withoutErrorHeaders(Headers headers) {
    Headers kept = new RecordHeaders();
    for (Header header : headers) {
      // The handler's own headers: the reason (checked apart) and the record's own timestamp
      // (DeadLetterHandlerTest).
      if (!header.key().startsWith("__streams.errors.")
          && !header.key().equals(DeadLetterHandler.HEADER_TIMESTAMP)) {
        kept.add(header);
      }
    }
    return kept;
  }

  static List<String> render(Headers headers) {
    return StreamSupport.stream(headers.spliterator(), false)
        .map(h -> new ModelEvent.Header(h.key(), h.value()).render())
        .toList();
  }

  private static String describe(Throwable e) {
    StringBuilder out = new StringBuilder();
    Map<Throwable, Boolean> seen = new HashMap<>();
    for (Throwable t = e; t != null && seen.put(t, true) == null; t = t.getCause()) {
      out.append(out.length() == 0 ? "" : " <- ")
          .append(t.getClass().getName())
          .append(": ")
          .append(String.valueOf(t.getMessage()).lines().findFirst().orElse(""));
    }
    return out.toString();
  }
}
