package dev.spanlinks.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A tiny run of every benchmark, so the harness cannot rot. It checks that each prints its figures
 * and that the variants agree on the batches; the speed goals themselves are measured by a full run
 * (benchmarks/RESULTS.md), never asserted here.
 */
class BenchmarkSmokeTest {

  @Test
  void shouldRunEveryBenchmarkAtATinyScale() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BenchmarkMain main =
        new BenchmarkMain(1, 0.005, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    main.throughput();
    main.listAggregate();
    main.scaling();
    main.endToEnd();
    String report = bytes.toString(StandardCharsets.UTF_8);

    Matcher batches =
        Pattern.compile(
                "\\| (spanlinks|untraced DSL count \\(baseline\\)) \\| [\\d,]+ \\| [\\d.]+ \\| (\\d+) \\|")
            .matcher(report);
    assertThat(batches.results().map(r -> r.group(2)).toList())
        .as("both variants close the same 18 batches (3 keys x 6 hours)\n" + report)
        .containsExactly("18", "18");
    assertThat(report)
        .contains("spanlinks / baseline throughput:")
        .contains("cost per order, 1M vs 10k:")
        .contains("spanlinks / plain consumer:")
        .containsPattern(
            "\\| [\\d,]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+x \\| [\\d,]+ B \\| [\\d,]+ B \\|");
  }
}
