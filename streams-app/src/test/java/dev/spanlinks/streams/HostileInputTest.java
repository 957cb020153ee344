package dev.spanlinks.streams;

import static dev.spanlinks.streams.TestOrder.traced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.model.OrderBatch;
import dev.spanlinks.streams.trace.BatchSpans;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-input corpus ({@code hostile-inputs.jsonl}: one case a line, each with the reason it
 * is there): every input lands in exactly one of a batch (linked or unlinked), the late topic or
 * the dead-letter topic; the topology never stops; the accounting balances.
 */
class HostileInputTest {
  private static final Instant IN_WINDOW = Instant.parse("2026-01-15T10:30:00Z");

  @TempDir Path stateDir;

  record Case(String name, String expect, String orderId, TestRecord<String, byte[]> record) {}

  @Test
  void shouldRouteEveryHostileInputToExactlyOnePlace() throws Exception {
    List<HostileCorpus.Case> corpus = HostileCorpus.load();
    List<Case> cases = asTestRecords(corpus);
    assertThat(cases).hasSizeGreaterThanOrEqualTo(25);
    try (TopologyFixture fixture =
        new TopologyFixture(stateDir, java.util.Map.of("spanlinks.link.attributes", "all"))) {
      fixture.send(traced(1).at("2026-01-15T09:10:00Z"));
      TestOrder advance = traced(2).at("2026-01-15T10:06:00Z"); // closes 09:00-10:00
      fixture.send(advance);
      for (Case hostile : cases) {
        fixture.send(hostile.record());
      }
      fixture.send(traced(3).at("2026-01-15T12:00:00Z")); // closes 10:00-11:00

      var deadLetters = fixture.deadLetters.readRecordsToList();
      // Brokers reject timestamps far ahead of their clock: the far-future order's must not be.
      assertThat(deadLetters)
          .allSatisfy(
              d -> assertThat(d.getRecordTime()).isBeforeOrEqualTo(Instant.now().plusSeconds(1)));
      Set<String> deadLettered = caseNames(deadLetters);
      Set<String> late = caseNames(fixture.late.readRecordsToList());
      assertThat(deadLettered).isEqualTo(HostileCorpus.namesExpecting(corpus, "dlq"));
      assertThat(late).isEqualTo(HostileCorpus.namesExpecting(corpus, "late"));

      OrderBatch batch =
          fixture.batches.readValuesToList().stream()
              .filter(b -> b.windowStart().equals(Instant.parse("2026-01-15T10:00:00Z")))
              .findFirst()
              .orElseThrow();
      int linked = HostileCorpus.namesExpecting(corpus, "linked").size();
      int unlinked = HostileCorpus.namesExpecting(corpus, "unlinked").size();
      assertThat(batch.linkedCount()).isEqualTo(linked + 1);
      assertThat(batch.unlinkedCount()).isEqualTo(unlinked);
      assertThat(deadLettered.size() + late.size() + linked + unlinked).isEqualTo(cases.size());

      SpanData span =
          BatchTopologyTest.spanNamed(fixture.finishedSpans(), BatchSpans.BATCH_SPAN_NAME).stream()
              .filter(
                  s ->
                      "2026-01-15T10:00:00Z"
                          .equals(s.getAttributes().get(SpanlinksAttributes.WINDOW_START)))
              .findFirst()
              .orElseThrow();
      List<String> linkedIds = new ArrayList<>();
      span.getLinks()
          .forEach(l -> linkedIds.add(l.getAttributes().get(SpanlinksAttributes.ORDER_ID)));
      List<String> expectedIds =
          new ArrayList<>(
              cases.stream().filter(c -> c.expect().equals("linked")).map(Case::orderId).toList());
      expectedIds.add(advance.orderId());
      assertThat(linkedIds).containsExactlyInAnyOrderElementsOf(expectedIds);
    }
  }

  private static Set<String> caseNames(List<? extends TestRecord<?, ?>> records) {
    Set<String> names = new HashSet<>();
    for (TestRecord<?, ?> record : records) {
      String name = InputHandlingTest.header(record.headers(), HostileCorpus.CASE_HEADER);
      assertThat(names.add(name)).as("%s routed twice", name).isTrue();
    }
    return names;
  }

  private static List<Case> asTestRecords(List<HostileCorpus.Case> corpus) {
    return corpus.stream()
        .map(
            c ->
                new Case(
                    c.name(),
                    c.expect(),
                    c.orderId(),
                    new TestRecord<>(c.key(), c.value(), c.headers(), IN_WINDOW)))
        .toList();
  }
}
