package dev.spanlinks.app.orders;

import static dev.spanlinks.app.orders.TestOrder.traced;
import static dev.spanlinks.app.orders.TestOrder.untraced;
import static dev.spanlinks.streams.trace.MessagingConventions.OLD_MESSAGE_KEY;
import static dev.spanlinks.streams.trace.MessagingConventions.OLD_OFFSET;
import static dev.spanlinks.streams.trace.MessagingConventions.OLD_SYSTEM;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_BATCH_MESSAGE_COUNT;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_CONSUMER_GROUP_NAME;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_DESTINATION_NAME;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_DESTINATION_PARTITION_ID;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_OPERATION_NAME;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_OPERATION_TYPE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import dev.spanlinks.streams.trace.internals.BatchIds;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The topology's main promise: one batch span per closed window that links every order. */
class OrdersTopologyTest {
  @TempDir Path stateDir;

  @ParameterizedTest
  @ValueSource(strings = {"none", "standard", "all"})
  void shouldPutOnEachLinkWhatSpanlinksLinkAttributesChooses(String choice) {
    try (TopologyFixture fixture =
        new TopologyFixture(stateDir, java.util.Map.of("spanlinks.link.attributes", choice))) {
      fixture.send(traced(1).at("2026-01-15T10:05:00Z"));
      fixture.send(traced(2).at("2026-01-15T11:05:00Z"));
      LinkData link =
          spanNamed(fixture.finishedSpans(), SpanlinksAttributes.BATCH_SPAN_NAME)
              .get(0)
              .getLinks()
              .get(0);
      switch (choice) {
        case "none" -> assertThat(link.getAttributes().isEmpty()).isTrue();
        case "standard" -> assertThat(link.getAttributes().asMap()).containsOnlyKeys(OLD_OFFSET);
        default ->
            assertThat(link.getAttributes().asMap())
                .containsEntry(OLD_OFFSET, 0L)
                .containsEntry(MESSAGING_DESTINATION_PARTITION_ID, "0")
                .containsEntry(OLD_MESSAGE_KEY, "eu")
                .containsEntry(SpanlinksAttributes.ORDER_ID, "order-1")
                .containsEntry(SpanlinksAttributes.ORDER_EVENT_TIME, "2026-01-15T10:05:00Z");
      }
    }
  }

  @Test
  void shouldLinkEveryOrderWhenWindowCloses() {
    try (TopologyFixture fixture = new TopologyFixture(stateDir)) {
      List<TestOrder> sent =
          List.of(
              traced(1).at("2026-01-15T10:05:00Z"),
              traced(2).at("2026-01-15T10:30:00Z"),
              traced(3).at("2026-01-15T10:59:59.999Z"));
      sent.forEach(fixture::send);
      assertThat(fixture.finishedSpans()).as("window still open").isEmpty();

      // Stream time reaches end + grace: the window closes while this record is processed.
      TestOrder closer = traced(99).at("2026-01-15T11:05:00Z");
      fixture.send(closer);

      List<SpanData> spans = fixture.finishedSpans();
      assertThat(spans).hasSize(1);
      SpanData batch = spans.get(0);
      assertThat(batch.getName()).isEqualTo(SpanlinksAttributes.BATCH_SPAN_NAME);
      assertThat(batch.getKind()).isEqualTo(SpanKind.CONSUMER);
      assertThat(batch.getParentSpanContext().isValid()).as("batch span has no parent").isFalse();
      assertThat(batch.getTraceId()).isNotEqualTo(closer.traceId());
      assertThat(linkIds(batch))
          .containsExactlyInAnyOrderElementsOf(
              sent.stream().map(o -> o.traceId() + "/" + o.spanId()).toList())
          .doesNotContain(closer.traceId() + "/" + closer.spanId());
      assertThat(batch.getTotalRecordedLinks()).isEqualTo(3);

      assertThat(batch.getAttributes().get(OLD_SYSTEM)).isEqualTo("kafka");
      assertThat(batch.getAttributes().get(MESSAGING_OPERATION_TYPE)).isEqualTo("process");
      assertThat(batch.getAttributes().get(MESSAGING_OPERATION_NAME)).isEqualTo("process");
      assertThat(batch.getAttributes().get(MESSAGING_DESTINATION_NAME)).isEqualTo("orders");
      assertThat(batch.getAttributes().get(MESSAGING_CONSUMER_GROUP_NAME))
          .isEqualTo(TopologyFixture.APPLICATION_ID);
      assertThat(batch.getAttributes().get(MESSAGING_BATCH_MESSAGE_COUNT)).isEqualTo(3L);
      assertThat(batch.getAttributes().get(SpanlinksAttributes.BATCH_KEY)).isEqualTo("eu");
      assertThat(batch.getAttributes().get(SpanlinksAttributes.WINDOW_START))
          .isEqualTo("2026-01-15T10:00:00Z");
      assertThat(batch.getAttributes().get(SpanlinksAttributes.WINDOW_END))
          .isEqualTo("2026-01-15T11:00:00Z");
      assertThat(batch.getAttributes().get(SpanlinksAttributes.ORDERS_LINKED)).isEqualTo(3L);
      assertThat(batch.getAttributes().get(SpanlinksAttributes.ORDERS_UNLINKED)).isEqualTo(0L);
      assertThat(batch.getAttributes().get(SpanlinksAttributes.LINK_CHUNKS)).isEqualTo(0L);

      // Standard link attributes: the offset on each link; partition and key, the same for every
      // link of the batch, once on the batch span.
      LinkData first = batch.getLinks().get(0);
      assertThat(first.getAttributes().asMap())
          .containsOnlyKeys(OLD_OFFSET)
          .containsEntry(OLD_OFFSET, 0L);
      assertThat(batch.getAttributes().get(MESSAGING_DESTINATION_PARTITION_ID)).isEqualTo("0");
      assertThat(batch.getAttributes().get(OLD_MESSAGE_KEY)).isEqualTo("eu");
      assertThat(first.getSpanContext().isRemote()).isTrue();
      assertThat(first.getSpanContext().getTraceFlags().isSampled()).isTrue();

      List<TestRecord<String, OrderBatch>> output = fixture.batches.readRecordsToList();
      assertThat(output).hasSize(1);
      TestRecord<String, OrderBatch> record = output.get(0);
      assertThat(record.key()).isEqualTo("eu");
      assertThat(traceparents(record))
          .as("exactly one traceparent, the batch span's")
          .containsExactly("00-" + batch.getTraceId() + "-" + batch.getSpanId() + "-01");
      assertThat(record.timestamp())
          .as("latest order's event time")
          .isEqualTo(sent.get(2).createdAt().toEpochMilli());
      OrderBatch value = record.value();
      assertThat(value.orderCount()).isEqualTo(3);
      assertThat(value.linkedCount()).isEqualTo(3);
      assertThat(value.unlinkedCount()).isZero();
      assertThat(value.totals()).containsEntry("EUR", new BigDecimal("37.50"));
      assertThat(value.traceId()).isEqualTo(batch.getTraceId());
      assertThat(value.spanId()).isEqualTo(batch.getSpanId());
    }
  }

  /** Entries are deleted while the close scan runs: with no cache, a tiny one and the default. */
  @ParameterizedTest
  @ValueSource(longs = {0L, 4_096L, 10_485_760L})
  void shouldPutLinksPastLinksPerSpanIntoChunkSpans(long cacheBytes) {
    try (TopologyFixture fixture =
        new TopologyFixture(
            stateDir,
            java.util.Map.of(
                BatchConfig.LINKS_PER_SPAN_CONFIG,
                1000,
                StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG,
                cacheBytes))) {
      List<TestOrder> sent =
          java.util.stream.IntStream.range(0, 2500)
              .mapToObj(
                  n -> traced(n).at(java.time.Instant.parse("2026-01-15T10:00:00Z").plusMillis(n)))
              .toList();
      sent.forEach(fixture::send);
      fixture.send(traced(99_999).at("2026-01-15T12:00:00Z"));

      List<SpanData> spans = fixture.finishedSpans();
      SpanData batch = spanNamed(spans, SpanlinksAttributes.BATCH_SPAN_NAME).get(0);
      List<SpanData> chunks = spanNamed(spans, SpanlinksAttributes.CHUNK_SPAN_NAME);
      assertThat(spans).hasSize(3);
      assertThat(batch.getLinks()).hasSize(1000);
      assertThat(chunks).extracting(c -> c.getLinks().size()).containsExactly(1000, 500);
      for (SpanData chunk : chunks) {
        assertThat(chunk.getTraceId()).isEqualTo(batch.getTraceId());
        assertThat(chunk.getParentSpanId()).isEqualTo(batch.getSpanId());
      }
      for (SpanData span : spans) {
        assertThat(span.getTotalRecordedLinks())
            .as("dropped_links_count is 0")
            .isEqualTo(span.getLinks().size());
      }
      List<String> allLinks =
          spans.stream().flatMap(s -> linkIds(s).stream()).collect(Collectors.toList());
      assertThat(allLinks)
          .hasSize(2500)
          .doesNotHaveDuplicates()
          .containsExactlyInAnyOrderElementsOf(
              sent.stream().map(o -> o.traceId() + "/" + o.spanId()).toList());
      assertThat(batch.getAttributes().get(SpanlinksAttributes.LINK_CHUNKS)).isEqualTo(2L);
      OrderBatch value = fixture.batches.readValue();
      assertThat(value.linkedCount()).isEqualTo(2500);
      try (var left =
          fixture
              .driver
              .<org.apache.kafka.common.utils.Bytes, byte[]>getKeyValueStore("batch-contributions")
              .all()) {
        assertThat(left)
            .toIterable()
            .as("only the order that closed the window remains (no sampled marker is written)")
            .hasSize(1);
      }
      assertThat(value.linkChunkCount()).isEqualTo(2);
    }
  }

  @Test
  void shouldBatchOrdersWithoutUsableTraceparentAsUnlinked() {
    try (TopologyFixture fixture = new TopologyFixture(stateDir)) {
      String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      String spanId = "00f067aa0ba902b7";
      fixture.send(untraced("no-header"));
      fixture.send(untraced("version-ff").traceparent("ff-" + traceId + "-" + spanId + "-01"));
      fixture.send(
          untraced("short-trace-id")
              .traceparent("00-" + traceId.substring(2) + "-" + spanId + "-01"));
      fixture.send(
          untraced("zero-trace-id").traceparent("00-" + "0".repeat(32) + "-" + spanId + "-01"));
      fixture.send(
          untraced("zero-span-id").traceparent("00-" + traceId + "-" + "0".repeat(16) + "-01"));
      fixture.send(
          untraced("non-hex")
              .traceparent("00-" + "zz" + traceId.substring(2) + "-" + spanId + "-01"));
      fixture.send(untraced("empty").traceparent(""));
      TestOrder good = traced(1);
      fixture.send(good);
      fixture.send(traced(2).at("2026-01-15T12:00:00Z"));

      SpanData batch = fixture.finishedSpans().get(0);
      assertThat(linkIds(batch)).containsExactly(good.traceId() + "/" + good.spanId());
      assertThat(batch.getAttributes().get(SpanlinksAttributes.ORDERS_UNLINKED)).isEqualTo(7L);
      assertThat(batch.getAttributes().get(MESSAGING_BATCH_MESSAGE_COUNT)).isEqualTo(8L);
      OrderBatch value = fixture.batches.readValue();
      assertThat(value.orderCount()).isEqualTo(8);
      assertThat(value.linkedCount()).isEqualTo(1);
      assertThat(value.unlinkedCount()).isEqualTo(7);
      assertThat(fixture.deadLetters.isEmpty()).as("a bad traceparent is not bad input").isTrue();
    }
  }

  @Test
  void shouldKeepTraceFlagsAndTracestateAsTheyArrived() {
    try (TopologyFixture fixture = new TopologyFixture(stateDir)) {
      String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      String spanId = "00f067aa0ba902b7";
      fixture.send(
          untraced("not-sampled")
              .traceparent("00-" + traceId + "-" + spanId + "-00")
              .tracestate("vendor1=abc,rojo=00f067aa0ba902b7"));
      fixture.send(traced(2).at("2026-01-15T12:00:00Z"));

      LinkData link = fixture.finishedSpans().get(0).getLinks().get(0);
      assertThat(link.getSpanContext().getTraceId()).isEqualTo(traceId);
      assertThat(link.getSpanContext().getTraceFlags().isSampled()).isFalse();
      assertThat(link.getSpanContext().getTraceState().asMap())
          .containsExactly(
              java.util.Map.entry("vendor1", "abc"),
              java.util.Map.entry("rojo", "00f067aa0ba902b7"));
    }
  }

  @Test
  void shouldEmitTheSameBatchIdsFromTwoFreshDrivers(@TempDir Path otherStateDir) {
    List<List<String>> idsPerRun = new java.util.ArrayList<>();
    for (Path dir : List.of(stateDir, otherStateDir)) {
      try (TopologyFixture fixture =
          new TopologyFixture(dir, java.util.Map.of(BatchConfig.LINKS_PER_SPAN_CONFIG, 2))) {
        for (int n = 0; n < 5; n++) {
          fixture.send(traced(n).key(n % 2 == 0 ? "eu" : "us"));
        }
        fixture.send(traced(9).at("2026-01-15T12:00:00Z"));
        idsPerRun.add(
            fixture.finishedSpans().stream()
                .map(s -> s.getName() + " " + s.getTraceId() + " " + s.getSpanId())
                .sorted()
                .toList());
      }
    }
    // eu: 3 orders = batch span + 1 chunk; us: 2 orders = batch span only.
    assertThat(idsPerRun.get(0)).hasSize(3);
    assertThat(idsPerRun.get(1)).isEqualTo(idsPerRun.get(0));

    BatchIds expected =
        new BatchIds(
            TopologyFixture.APPLICATION_ID,
            "eu",
            java.time.Instant.parse("2026-01-15T10:00:00Z").toEpochMilli(),
            0);
    assertThat(idsPerRun.get(0))
        .contains(
            SpanlinksAttributes.BATCH_SPAN_NAME
                + " "
                + expected.traceId()
                + " "
                + expected.spanId(0),
            SpanlinksAttributes.CHUNK_SPAN_NAME
                + " "
                + expected.traceId()
                + " "
                + expected.spanId(1));
  }

  @Test
  void shouldDeriveBatchIdsFromTheNamespaceInsteadOfTheApplicationIdWhenSet() {
    try (TopologyFixture fixture =
        new TopologyFixture(
            stateDir,
            java.util.Map.of(
                StreamsConfig.APPLICATION_ID_CONFIG,
                "replay-2",
                BatchConfig.BATCH_IDS_NAMESPACE_CONFIG,
                "original-app"))) {
      fixture.send(traced(1));
      fixture.send(traced(2).at("2026-01-15T12:00:00Z"));
      OrderBatch batch = fixture.batches.readValue();
      BatchIds original =
          new BatchIds(
              "original-app",
              "eu",
              java.time.Instant.parse("2026-01-15T10:00:00Z").toEpochMilli(),
              0);
      assertThat(batch.traceId()).isEqualTo(original.traceId());
      assertThat(batch.spanId()).isEqualTo(original.spanId(0));
      // The consumer group on the span stays the application that ran.
      assertThat(fixture.finishedSpans().get(0).getAttributes().asMap().values())
          .contains("replay-2");
    }
  }

  @Test
  void shouldGiveEachBatchExactlyItsOwnOrders() {
    try (TopologyFixture fixture = new TopologyFixture(stateDir)) {
      List<String> keys = List.of("eu", "us", "apac");
      java.util.Map<String, List<String>> expected = new java.util.HashMap<>();
      java.time.Instant ten = java.time.Instant.parse("2026-01-15T10:00:00Z");
      java.time.Instant eleven = java.time.Instant.parse("2026-01-15T11:00:00Z");
      int n = 0;
      // Keys and hours interleaved; stream time stays below 11:05, so 10:00-11:00 is still open.
      for (int i = 0; i < 10; i++) {
        for (String key : keys) {
          for (java.time.Instant at :
              List.of(ten.plusSeconds(360L * i), eleven.plusSeconds(25L * i))) {
            TestOrder order = traced(n++).key(key).at(at);
            fixture.send(order);
            expected
                .computeIfAbsent(
                    key + "@" + at.toString().substring(0, 14), k -> new java.util.ArrayList<>())
                .add(order.traceId() + "/" + order.spanId());
          }
        }
      }
      assertThat(fixture.finishedSpans()).isEmpty();
      fixture.send(traced(n).key("us").at("2026-01-15T12:59:00Z")); // closes 10:00 and 11:00

      List<SpanData> spans = fixture.finishedSpans();
      assertThat(spans).hasSize(6);
      for (SpanData span : spans) {
        String batchKey = span.getAttributes().get(SpanlinksAttributes.BATCH_KEY);
        String windowStart = span.getAttributes().get(SpanlinksAttributes.WINDOW_START);
        String id = batchKey + "@" + windowStart.substring(0, 14);
        assertThat(linkIds(span)).as(id).containsExactlyInAnyOrderElementsOf(expected.get(id));
      }
      List<TestRecord<String, OrderBatch>> output = fixture.batches.readRecordsToList();
      assertThat(output)
          .extracting(r -> r.key() + "@" + r.value().windowStart() + "=" + r.value().orderCount())
          .containsExactlyInAnyOrder(
              "eu@2026-01-15T10:00:00Z=10", "us@2026-01-15T10:00:00Z=10",
              "apac@2026-01-15T10:00:00Z=10", "eu@2026-01-15T11:00:00Z=10",
              "us@2026-01-15T11:00:00Z=10", "apac@2026-01-15T11:00:00Z=10");
      for (TestRecord<String, OrderBatch> record : output) {
        assertThat(traceparents(record))
            .containsExactly(
                "00-" + record.value().traceId() + "-" + record.value().spanId() + "-01");
      }
    }
  }

  static List<String> linkIds(SpanData span) {
    return span.getLinks().stream()
        .map(l -> l.getSpanContext().getTraceId() + "/" + l.getSpanContext().getSpanId())
        .toList();
  }

  static List<SpanData> spanNamed(List<SpanData> spans, String name) {
    return spans.stream().filter(s -> s.getName().equals(name)).toList();
  }

  static List<String> traceparents(TestRecord<?, ?> record) {
    return Stream.of(record.headers().headers("traceparent").spliterator())
        .flatMap(s -> java.util.stream.StreamSupport.stream(s, false))
        .map(Header::value)
        .map(v -> new String(v, StandardCharsets.UTF_8))
        .toList();
  }
}
