package dev.spanlinks.app.orders;

import static dev.spanlinks.app.orders.TestOrder.traced;
import static dev.spanlinks.app.orders.TestOrder.untraced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import dev.spanlinks.streams.trace.internals.LinkAwareSampler;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reverse links and link-aware sampling, through the topology. */
class EcosystemTest {
  @TempDir Path stateDir;

  @Test
  void shouldEmitOneReverseSpanPerLinkedOrderInTheOrdersOwnTrace() {
    try (TopologyFixture fixture =
        new TopologyFixture(
            stateDir,
            Map.of(BatchConfig.REVERSE_LINKS_CONFIG, true, BatchConfig.LINKS_PER_SPAN_CONFIG, 2))) {
      List<TestOrder> orders = List.of(traced(1), traced(2), traced(3));
      orders.forEach(fixture::send);
      fixture.send(untraced("no-context"));
      fixture.send(traced(9).at("2026-01-15T12:00:00Z"));

      SpanData batch =
          OrdersTopologyTest.spanNamed(fixture.finishedSpans(), SpanlinksAttributes.BATCH_SPAN_NAME)
              .get(0);
      List<SpanData> reverse =
          OrdersTopologyTest.spanNamed(
              fixture.finishedSpans(), SpanlinksAttributes.REVERSE_SPAN_NAME);
      assertThat(reverse)
          .extracting(s -> s.getTraceId() + "/" + s.getParentSpanId())
          .containsExactlyInAnyOrderElementsOf(
              orders.stream().map(o -> o.traceId() + "/" + o.spanId()).toList());
      for (SpanData span : reverse) {
        assertThat(span.getLinks()).hasSize(1);
        assertThat(span.getLinks().get(0).getSpanContext()).isEqualTo(batch.getSpanContext());
      }
    }
  }

  /**
   * A batch emitted again (after a crash before its commit, spans not being transactional) gives
   * each order's trace the same reverse span, not a second one: its id comes from the batch and the
   * order (issue 23 item 3).
   */
  @Test
  void shouldGiveReverseSpansTheSameIdsWhenABatchIsEmittedAgain(@TempDir Path otherStateDir) {
    // order-3b carries order-3's trace context: two orders, two reverse spans.
    TestOrder three = traced(3);
    String order3 = "00-" + three.traceId() + "-" + three.spanId() + "-01";
    List<TestOrder> orders =
        List.of(traced(1), traced(2), three, untraced("order-3b").traceparent(order3));
    List<String> first = reverseSpanIds(stateDir, orders);
    List<String> again = reverseSpanIds(otherStateDir, orders);
    assertThat(first).hasSize(4).doesNotHaveDuplicates();
    assertThat(again).as("the same batch emitted again").isEqualTo(first);
  }

  private static List<String> reverseSpanIds(Path stateDir, List<TestOrder> orders) {
    try (TopologyFixture fixture =
        new TopologyFixture(stateDir, Map.of(BatchConfig.REVERSE_LINKS_CONFIG, true))) {
      orders.forEach(fixture::send);
      fixture.send(traced(9).at("2026-01-15T12:00:00Z"));
      return OrdersTopologyTest.spanNamed(
              fixture.finishedSpans(), SpanlinksAttributes.REVERSE_SPAN_NAME)
          .stream()
          .map(s -> s.getTraceId() + "/" + s.getSpanId())
          .sorted()
          .toList();
    }
  }

  @Test
  void shouldKeepBatchWhoseOnlySampledOrderIsInALaterChunk() {
    try (TopologyFixture fixture =
        new TopologyFixture(
            stateDir, Map.of(BatchConfig.LINKS_PER_SPAN_CONFIG, 2), new LinkAwareSampler(0.0))) {
      // Links go in arrival order (block after block, entry after entry; see CloseWindowsProcessor
      // and the RATIONALE), not in order-id order: sent 4, 3, 2, 1, the batch span links orders 4
      // and 3, the chunk 2 and 1, so the only sampled order, order-1, is in the second chunk.
      List<TestOrder> arrivals =
          List.of(traced(4).unsampled(), traced(3).unsampled(), traced(2).unsampled(), traced(1));
      arrivals.forEach(fixture::send);
      fixture.send(traced(5).key("us").unsampled());
      fixture.send(traced(9).unsampled().at("2026-01-15T12:00:00Z"));

      List<SpanData> kept = fixture.finishedSpans();
      SpanData batch =
          OrdersTopologyTest.spanNamed(kept, SpanlinksAttributes.BATCH_SPAN_NAME).get(0);
      assertThat(batch.getAttributes().get(SpanlinksAttributes.LINKS_SAMPLED)).isTrue();
      assertThat(batch.getAttributes().get(SpanlinksAttributes.BATCH_KEY)).isEqualTo("eu");
      assertThat(OrdersTopologyTest.spanNamed(kept, SpanlinksAttributes.BATCH_SPAN_NAME))
          .as("the us batch has no sampled order: dropped")
          .hasSize(1);
      List<SpanData> chunks =
          OrdersTopologyTest.spanNamed(kept, SpanlinksAttributes.CHUNK_SPAN_NAME);
      assertThat(chunks).as("the chunk follows its batch span").hasSize(1);
      assertThat(linkedSpans(batch))
          .as("the batch span links the first two arrivals, in arrival order")
          .containsExactly(spanOf(arrivals.get(0)), spanOf(arrivals.get(1)));
      assertThat(linkedSpans(chunks.get(0)))
          .as("the chunk links the next two, in arrival order")
          .containsExactly(spanOf(arrivals.get(2)), spanOf(arrivals.get(3)));
      assertThat(fixture.batches.readRecordsToList())
          .as("sampling never drops the output")
          .hasSize(2);
    }
  }

  private static List<String> linkedSpans(SpanData span) {
    return span.getLinks().stream()
        .map(l -> l.getSpanContext().getTraceId() + "/" + l.getSpanContext().getSpanId())
        .toList();
  }

  private static String spanOf(TestOrder order) {
    return order.traceId() + "/" + order.spanId();
  }
}
