package dev.spanlinks.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A tiny run of every benchmark, so the harness cannot rot. It checks that each prints its figures
 * and that the variants agree on the batches; the speed goals themselves are measured by a full run
 * (benchmarks/RESULTS.md), never asserted here. The runs with export fail by themselves unless
 * every traced order reached the OTLP receiver linked exactly once.
 */
class BenchmarkSmokeTest {
  /** An iteration row of a scenario with export: variant, batches, orders. */
  private static final Pattern EXPORT_ROW =
      Pattern.compile(
          "\\| (\\d+) \\| ([^|]+) \\| [^|]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d,]+ \\| ([\\d,]+) \\|"
              + " ([\\d,]+) \\| [^|]+ \\| [^|]+ \\|");

  @Test
  void shouldRunEveryBenchmarkAtATinyScale() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (BenchmarkMain main =
        new BenchmarkMain(1, 0.005, new PrintStream(bytes, true, StandardCharsets.UTF_8))
            .withoutWarmup()) {
      main.throughput();
      main.listAggregate();
      main.scaling();
      main.endToEnd();
      main.cardinalitySweep(new int[] {10_000});
      main.closeLatency();
    }
    String report = bytes.toString(StandardCharsets.UTF_8);

    Matcher batches =
        Pattern.compile(
                "\\| (spanlinks|untraced DSL count \\(baseline\\)) \\| [\\d,]+ \\| [\\d.]+ \\| (\\d+) \\|")
            .matcher(report);
    assertThat(batches.results().map(r -> r.group(2)).toList())
        .as("both variants close the same 18 batches (3 keys x 6 hours)\n" + report)
        .containsExactly("18", "18");
    List<MatchResult> rows = EXPORT_ROW.matcher(report).results().toList();
    assertThat(rows.stream().map(r -> r.group(2).trim()).toList())
        .as("e2e: three variants, then the sweep: two\n" + report)
        .containsExactly(
            ExportScenarios.COUNT,
            ExportScenarios.OURS,
            ExportScenarios.REPARTITIONED,
            ExportScenarios.COUNT,
            ExportScenarios.OURS);
    assertThat(rows.subList(0, 3).stream().map(r -> r.group(3) + "/" + r.group(4)).toList())
        .as("e2e variants agree on batches and orders (3 keys x 6 hours)\n" + report)
        .containsOnly("18/1,500");
    assertThat(rows.subList(3, 5).stream().map(r -> r.group(3) + "/" + r.group(4)).distinct())
        .as("sweep variants agree on batches and orders\n" + report)
        .hasSize(1);
    assertThat(report)
        .contains("spanlinks / baseline throughput:")
        .contains("cost per order, 1M vs 10k:")
        .contains("plain consumer (ceiling), median:")
        .containsPattern("spanlinks / baseline throughput, per pair: \\[[\\d.]+x\\]; min")
        .containsPattern("median start-up: baseline [\\d.]+ s")
        .containsPattern("\\| close latency p99 \\| [\\d,]+ ms \\|")
        .containsPattern("\\| OTLP bytes per link \\| [\\d.]+ \\|")
        .containsPattern("\\| stream threads blocked on export \\| [\\d.]+ s \\|")
        .containsPattern(
            "\\| [\\d,]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+x \\| [\\d,]+ B \\| [\\d,]+ B \\|");
  }
}
