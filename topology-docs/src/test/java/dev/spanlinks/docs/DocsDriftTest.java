package dev.spanlinks.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Fails, with a readable diff, when a committed doc no longer matches the code. To rewrite them:
 * {@code ./mvnw -q -pl topology-docs -am test -Dtest=DocsDriftTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dspanlinks.docs.write=true}.
 */
class DocsDriftTest {
  private static final Path DOCS = Path.of(".");

  @Test
  void shouldMatchCommittedDocs() throws Exception {
    Map<String, String> generated = DocsGenerator.generate();
    if (Boolean.getBoolean("spanlinks.docs.write")) {
      for (Map.Entry<String, String> doc : generated.entrySet()) {
        Files.writeString(DOCS.resolve(doc.getKey()), doc.getValue());
      }
    }
    List<String> stale = new ArrayList<>();
    for (Map.Entry<String, String> doc : generated.entrySet()) {
      Path file = DOCS.resolve(doc.getKey());
      String committed = Files.exists(file) ? Files.readString(file) : "";
      if (!committed.equals(doc.getValue())) {
        stale.add(doc.getKey() + " is stale:\n" + diff(committed, doc.getValue()));
      }
    }
    assertThat(stale)
        .as(
            "Regenerate with: ./mvnw -q -pl topology-docs -am test -Dtest=DocsDriftTest"
                + " -Dsurefire.failIfNoSpecifiedTests=false -Dspanlinks.docs.write=true")
        .isEmpty();
  }

  @Test
  void shouldDocumentEveryEmittedAttribute() throws Exception {
    assertThat(DocsGenerator.generate().get("TELEMETRY.md"))
        .doesNotContain(TelemetryDoc.UNDOCUMENTED)
        .contains("### `process orders`", "### `process orders chunk`", "`spanlinks.orders`");
  }

  @Test
  void shouldDrawEveryNodeStoreAndSideTopic() throws Exception {
    assertThat(DocsGenerator.generate().get("TOPOLOGY.md"))
        .contains("orders-source", "capture-order", "close-windows", "order-batches-sink")
        .contains("store: batch-contributions", "store: window-progress")
        .contains("topic: orders-late", "topic: orders-dlq", "topic: order-batches");
  }

  /** Lines only in the committed file (-) and only in the generated one (+), in order. */
  private static String diff(String committed, String generated) {
    List<String> before = committed.lines().toList();
    List<String> after = generated.lines().toList();
    StringBuilder out = new StringBuilder();
    int common = 0;
    while (common < before.size()
        && common < after.size()
        && before.get(common).equals(after.get(common))) {
      common++;
    }
    out.append("  first difference at line ").append(common + 1).append('\n');
    before.stream()
        .skip(common)
        .filter(line -> !after.contains(line))
        .limit(20)
        .forEach(line -> out.append("  - ").append(line).append('\n'));
    after.stream()
        .skip(common)
        .filter(line -> !before.contains(line))
        .limit(20)
        .forEach(line -> out.append("  + ").append(line).append('\n'));
    return out.toString();
  }
}
