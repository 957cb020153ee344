package dev.spanlinks.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A tiny run of the benchmarks that need no broker (TopologyTestDriver only), so the harness cannot
 * rot. It checks that each prints its figures and that the variants agree on the batches; the speed
 * goals themselves are measured by a full run (benchmarks/RESULTS.md), never asserted here. The
 * benchmarks on a broker are {@link BenchmarkSmokeIT}'s.
 */
class BenchmarkSmokeTest {

  @Test
  void shouldRunEveryTestDriverBenchmarkAtATinyScale() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (BenchmarkMain main =
        new BenchmarkMain(1, 0.005, new PrintStream(bytes, true, StandardCharsets.UTF_8))
            .withoutWarmup()) {
      main.throughput();
      main.listAggregate();
      main.scaling();
    }
    String report = bytes.toString(StandardCharsets.UTF_8);

    assertThat(
            Pattern.compile(
                    "\\| (spanlinks|untraced DSL count \\(baseline\\)) \\| [\\d,]+ \\| [\\d.]+ \\| (\\d+) \\|")
                .matcher(report)
                .results()
                .map(r -> r.group(2))
                .toList())
        .as("both variants close the same 18 batches (3 keys x 6 hours)\n" + report)
        .containsExactly("18", "18");
    assertThat(report)
        .contains("spanlinks / baseline throughput:")
        .contains("cost per order, 1M vs 10k:")
        .containsPattern(
            "\\| [\\d,]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+x \\| [\\d,]+ B \\| [\\d,]+ B \\|");
  }
}
