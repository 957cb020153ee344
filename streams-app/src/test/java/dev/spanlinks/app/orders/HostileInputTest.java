package dev.spanlinks.app.orders;

import static dev.spanlinks.app.orders.TestOrder.traced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.trace.SpanlinksAttributes;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-input corpus ({@code hostile-inputs.jsonl}: one case a line, each with the reason it
 * is there): every input lands in exactly one of a batch (linked or unlinked), the late topic or
 * the dead-letter topic; the topology never stops; the accounting, read from the outputs, matches
 * the corpus case by case.
 */
class HostileInputTest {
  private static final Instant IN_WINDOW = Instant.parse("2026-01-15T10:30:00Z");

  @TempDir Path stateDir;

  @Test
  void shouldRouteEveryHostileInputToExactlyOnePlace() throws Exception {
    List<HostileCorpus.Case> corpus = HostileCorpus.load();
    assertThat(corpus).hasSizeGreaterThanOrEqualTo(25);
    try (TopologyFixture fixture =
        new TopologyFixture(stateDir, java.util.Map.of("spanlinks.link.attributes", "all"))) {
      fixture.send(traced(1).at("2026-01-15T09:10:00Z"));
      TestOrder advance = traced(2).at("2026-01-15T10:06:00Z"); // closes 09:00-10:00
      fixture.send(advance);
      for (HostileCorpus.Case hostile : corpus) {
        fixture.send(
            new TestRecord<>(hostile.key(), hostile.value(), hostile.headers(), IN_WINDOW));
      }
      fixture.send(traced(3).at("2026-01-15T12:00:00Z")); // closes 10:00-11:00

      var deadLetters = fixture.deadLetters.readRecordsToList();
      // Brokers reject timestamps far ahead of their clock: the far-future order's must not be.
      assertThat(deadLetters)
          .allSatisfy(
              d -> assertThat(d.getRecordTime()).isBeforeOrEqualTo(Instant.now().plusSeconds(1)));
      List<OrderBatch> batches = fixture.batches.readValuesToList();
      OrderBatch batch =
          batches.stream()
              .filter(b -> b.windowStart().equals(Instant.parse("2026-01-15T10:00:00Z")))
              .findFirst()
              .orElseThrow();
      SpanData span =
          OrdersTopologyTest.spanNamed(fixture.finishedSpans(), SpanlinksAttributes.BATCH_SPAN_NAME)
              .stream()
              .filter(
                  s ->
                      "2026-01-15T10:00:00Z"
                          .equals(s.getAttributes().get(SpanlinksAttributes.WINDOW_START)))
              .findFirst()
              .orElseThrow();
      List<String> linkedIds = new ArrayList<>();
      span.getLinks()
          .forEach(l -> linkedIds.add(l.getAttributes().get(SpanlinksAttributes.ORDER_ID)));
      assertThat(linkedIds)
          .as("the frame order of 10:06 is in this batch")
          .contains(advance.orderId());
      linkedIds.remove(advance.orderId());
      assertThat(batch.linkedCount()).isEqualTo(linkedIds.size() + 1L);
      assertThat(batch.orderCount()).isEqualTo(batch.linkedCount() + batch.unlinkedCount());
      assertThat(batches).as("the two windows, nothing else").hasSize(2);

      // What the topology output, case by case, against what the corpus says.
      assertThat(
              HostileCorpus.observedDestinations(
                  corpus,
                  caseNames(deadLetters),
                  caseNames(fixture.late.readRecordsToList()),
                  linkedIds,
                  batch.unlinkedCount()))
          .isEqualTo(HostileCorpus.expectedDestinations(corpus));
    }
  }

  /** The case name of every record, duplicates kept. */
  private static List<String> caseNames(List<? extends TestRecord<?, ?>> records) {
    return records.stream()
        .map(r -> InputHandlingTest.header(r.headers(), HostileCorpus.CASE_HEADER))
        .toList();
  }
}
