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
              + " ([\\d,]+) \\| [^|]+ \\| [^|]+ \\| [^|]+ \\| [\\d.]+ \\| [\\d,]+ \\| ([\\d.]+) \\|"
              + " ([\\d,]+) \\| [\\d,]+ \\|");

  @Test
  void shouldRunEveryBenchmarkWithExportAtATinyScale() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (BenchmarkMain main =
        new BenchmarkMain(1, 0.005, new PrintStream(bytes, true, StandardCharsets.UTF_8))
            .withoutWarmup()
            .withCommitIntervals(List.of(100L))) {
      main.endToEnd();
      main.cardinalitySweep(new int[] {10_000});
      main.threadScaling();
      main.closeLatency();
    }
    String report = bytes.toString(StandardCharsets.UTF_8);

    List<MatchResult> rows = EXPORT_ROW.matcher(report).results().toList();
    assertThat(rows.subList(0, Math.min(7, rows.size())).stream().map(r -> r.group(2).trim()))
        .as(
            "e2e: three variants and the pass-through, then the sweep: two and the pass-through\n"
                + report)
        .containsExactly(
            ExportScenarios.COUNT,
            ExportScenarios.OURS,
            ExportScenarios.REPARTITIONED,
            ExportScenarios.PASS_THROUGH,
            ExportScenarios.COUNT,
            ExportScenarios.OURS,
            ExportScenarios.PASS_THROUGH);
    assertThat(rows.subList(0, 3).stream().map(r -> r.group(3) + "/" + r.group(4)).toList())
        .as("e2e variants agree on batches and orders (3 keys x 6 hours)\n" + report)
        .containsOnly("18/1,500");
    assertThat(rows.get(3).group(4)).as("the pass-through read every order").isEqualTo("1,500");
    assertThat(rows.subList(7, rows.size()).stream().map(r -> r.group(2).trim()).toList())
        .as("scaling: 1, 2, 4 threads and two instances, three variants each\n" + report)
        .hasSize(12)
        .containsOnly(ExportScenarios.COUNT, ExportScenarios.OURS, ExportScenarios.PASS_THROUGH);
    assertThat(rows)
        .as("every run's own threads took CPU and allocated\n" + report)
        .allSatisfy(
            r -> {
              assertThat(Double.parseDouble(r.group(5))).isPositive();
              assertThat(Long.parseLong(r.group(6).replace(",", ""))).isPositive();
            });
    assertThat(rows.subList(4, 6).stream().map(r -> r.group(3) + "/" + r.group(4)).distinct())
        .as("sweep variants agree on batches and orders\n" + report)
        .hasSize(1);
    assertThat(report)
        .contains("plain consumer (ceiling), median:")
        .contains(
            "every variant: processing.guarantee=exactly_once_v2,"
                + " producer.transaction.timeout.ms=300000, commit.interval.ms=100,")
        .contains("num.stream.threads=4")
        .contains("instances=2")
        .containsPattern("\\| spanlinks \\| [\\d,]+ \\| [\\d.]+ \\| [\\d.]+ \\|")
        .containsPattern("spanlinks / baseline throughput, per pair: \\[[\\d.]+x\\]; min")
        .containsPattern("median start-up: baseline [\\d.]+ s")
        .containsPattern(
            "earlier rounds' clock \\(processing from the first RUNNING\\): median [\\d.]+x")
        .contains("peak heap after GC MB")
        .containsPattern("\\| spanlinks \\| [\\d,]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d,]+ \\| ")
        .containsPattern("\\| close latency p99 \\| [\\d,]+ ms \\|")
        .containsPattern("\\| OTLP bytes per link \\| [\\d.]+ \\|")
        .containsPattern("\\| stream threads blocked on export \\| [\\d.]+ s \\|");
  }
}
