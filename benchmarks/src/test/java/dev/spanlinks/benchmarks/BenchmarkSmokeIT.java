package dev.spanlinks.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A tiny run of the benchmarks with export, on the embedded broker with the OTLP receiver in a
 * child JVM, so the harness cannot rot: an integration test (failsafe), as it needs a broker. It
 * checks that each prints its figures and that the variants agree on the batches; the speed goals
 * are measured by a full run (benchmarks/RESULTS.md), never asserted here. The runs with export
 * fail by themselves unless every traced order reached the OTLP receiver linked exactly once. The
 * benchmarks without a broker are {@link BenchmarkSmokeTest}'s.
 */
class BenchmarkSmokeIT {
  /** An iteration row of a scenario with export: variant, batches, orders. */
  private static final Pattern EXPORT_ROW =
      Pattern.compile(
          "\\| (\\d+) \\| ([^|]+) \\| [^|]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d,]+ \\| ([\\d,]+) \\|"
              + " ([\\d,]+) \\| [^|]+ \\| [^|]+ \\| [^|]+ \\| [\\d.]+ \\|");

  @Test
  void shouldRunEveryBenchmarkWithExportAtATinyScale() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (BenchmarkMain main =
        new BenchmarkMain(1, 0.005, new PrintStream(bytes, true, StandardCharsets.UTF_8))
            .withoutWarmup()) {
      main.endToEnd();
      main.cardinalitySweep(new int[] {10_000});
      main.closeLatency();
    }
    String report = bytes.toString(StandardCharsets.UTF_8);

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
        .contains("plain consumer (ceiling), median:")
        .containsPattern("spanlinks / baseline throughput, per pair: \\[[\\d.]+x\\]; min")
        .containsPattern("median start-up: baseline [\\d.]+ s")
        .containsPattern(
            "earlier rounds' clock \\(processing from the first RUNNING\\): median [\\d.]+x")
        .containsPattern("\\| close latency p99 \\| [\\d,]+ ms \\|")
        .containsPattern("\\| OTLP bytes per link \\| [\\d.]+ \\|")
        .containsPattern("\\| stream threads blocked on export \\| [\\d.]+ s \\|");
  }
}
