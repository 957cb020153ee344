package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's demo command, as a user runs it: its own embedded broker, in a child JVM. */
class DemoIT {
  private static final Path DEMO_JAR =
      Path.of("..", "producer-demo", "target", "producer-demo.jar");

  @Test
  void shouldRunTheWholeDemoAndReportEveryTracedOrderLinked(@TempDir Path dir) throws Exception {
    Path spans = dir.resolve("spans.jsonl");
    Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve("demo.log");
    try (ChildJvm demo =
        ChildJvm.start(
            DEMO_JAR,
            List.of("demo", "--count", "900", "--rate", "900", "--spans-file", spans.toString()),
            Map.of(),
            log)) {
      assertThat(demo.awaitExit(120)).as(demo.output()).isZero();
      String output = demo.output();

      Matcher verdict =
          Pattern.compile(
                  "every traced order linked exactly once: yes \\(([\\d,]+) of ([\\d,]+)\\)")
              .matcher(output);
      assertThat(verdict.find()).as(output).isTrue();
      assertThat(verdict.group(1)).isEqualTo(verdict.group(2));
      Matcher rows =
          Pattern.compile(
                  "(?m)^\\d{4}-\\d\\d-\\d\\dT\\d\\d:00:00Z\\s+(eu|us|apac)\\s+\\d+\\s+\\d+\\s+[0-9a-f]{32}$")
              .matcher(output);
      assertThat(rows.results().count()).as("3 hours x 3 batch keys:\n" + output).isEqualTo(9);
      assertThat(output)
          .as("batched + duplicates + late + dead-lettered = produced")
          .contains("(every order accounted for;");
      assertOutcomesAddUp(output);

      // Per-record warnings (and INFO lines) stay off the console, in the log file it names.
      assertThat(output)
          .doesNotContain("Dead-lettering invalid order")
          .doesNotContain("Routing late order")
          .doesNotContainPattern(
              "(?m)^\\S+ WARN (\\S+\\.)?(DeadLetterHandler|CloseWindowsProcessor) ")
          .doesNotContainPattern("(?m)^\\S+ INFO ");
      Matcher logLine =
          Pattern.compile("(?m)^log \\(with the per-record warnings and INFO lines\\): (.+)$")
              .matcher(output);
      assertThat(logLine.find()).as(output).isTrue();
      Path demoLog = Path.of(logLine.group(1).trim());
      assertThat(output)
          .contains("log (per-record warnings and INFO lines go only there): " + demoLog);
      assertThat(Files.readString(demoLog))
          .as("the demo sends invalid orders on purpose")
          .containsPattern("WARN (\\S+\\.)?DeadLetterHandler - Dead-lettering invalid order\\.")
          .contains("spanlinks running.");
      assertThat(output).contains("spans (OTLP JSON lines): " + spans.toAbsolutePath());
      Path linkMap = spans.resolveSibling("spanlinks-link-map.html");
      assertThat(output).contains("link map (open in a browser): " + linkMap.toAbsolutePath());
      assertThat(Files.readString(linkMap))
          .contains("spanlinks link map")
          .doesNotContain("src=\"http");
      List<String> lines = Files.readAllLines(spans);
      assertThat(lines).isNotEmpty().allMatch(line -> line.startsWith("{\"resourceSpans\":"));
      assertThat(String.join("\n", lines))
          .contains("\"name\":\"process orders\"")
          .contains("\"links\":[");
    }
  }

  /** The summary's outcomes add up to the orders produced, and the reasons to the dead letters. */
  private static void assertOutcomesAddUp(String output) {
    Matcher outcomes =
        Pattern.compile(
                "orders: ([\\d,]+) produced = ([\\d,]+) batched \\+ ([\\d,]+) duplicates"
                    + " \\+ ([\\d,]+) late \\+ ([\\d,]+) dead-lettered")
            .matcher(output);
    assertThat(outcomes.find()).as(output).isTrue();
    long produced = number(outcomes.group(1));
    long deadLettered = number(outcomes.group(5));
    assertThat(
            number(outcomes.group(2))
                + number(outcomes.group(3))
                + number(outcomes.group(4))
                + deadLettered)
        .isEqualTo(produced)
        .isEqualTo(900);
    Matcher reasons = Pattern.compile("(?m)^  dead-lettered\\s+([\\d,]+): (.+)$").matcher(output);
    Map<String, Long> byReason = new java.util.HashMap<>();
    while (reasons.find()) {
      byReason.put(reasons.group(2), number(reasons.group(1)));
    }
    assertThat(deadLettered).as("900 orders with --invalid-ratio 0.02").isPositive();
    assertThat(byReason.values().stream().mapToLong(Long::longValue).sum())
        .as(output)
        .isEqualTo(deadLettered);
    // The producer's three kinds of invalid order, each named by the rule it breaks.
    assertThat(byReason.keySet())
        .isSubsetOf(
            "orderId is missing",
            "amount must not be negative",
            "currency must be three upper-case letters");
  }

  private static long number(String digits) {
    return Long.parseLong(digits.replace(",", ""));
  }
}
