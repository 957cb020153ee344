package dev.spanlinks.benchmarks;

import dev.spanlinks.demo.EmbeddedKafka;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmarks that pay for export, on one embedded broker and one OTLP receiver in a child JVM:
 * end to end against the untraced count, the batch-key cardinality sweep, and close latency under a
 * producer sending at a fixed rate. Variants alternate ABBA after a discarded warm-up, and every
 * iteration is printed with the load average before it.
 */
final class ExportScenarios implements AutoCloseable {
  static final String COUNT = "untraced DSL count (baseline)";
  static final String OURS = "spanlinks";
  static final String REPARTITIONED = "spanlinks, repartition.by.key=true";
  static final String PASS_THROUGH = "exactly-once pass-through (ceiling)";

  private final int runs;
  private final boolean warmup;
  private final List<Long> commitIntervalsMs;
  private final PrintStream out;
  private EmbeddedKafka broker;
  private OtlpLinkReceiver receiver;

  /**
   * @param commitIntervalsMs each scenario runs once per commit interval, every variant with it
   */
  ExportScenarios(int runs, boolean warmup, List<Long> commitIntervalsMs, PrintStream out) {
    this.runs = runs;
    this.warmup = warmup;
    this.commitIntervalsMs = List.copyOf(commitIntervalsMs);
    this.out = out;
  }

  /**
   * End to end, with the repartitioning variant, and two ceilings: an exactly-once pass-through and
   * a plain consumer.
   */
  void endToEnd(int orders, int keysPerHour, int hours) throws Exception {
    EndToEnd e2e = new EndToEnd(broker(), receiver(), orders, keysPerHour, hours);
    for (long commitIntervalMs : commitIntervalsMs) {
      StreamsSettings settings = StreamsSettings.withCommitInterval(commitIntervalMs);
      out.printf(
          "## End to end with export, embedded broker (%,d orders, %,d keys per hour, %d hours,"
              + " %d partitions)%n%nevery variant: %s%n%n",
          orders, keysPerHour, hours, EndToEnd.PARTITIONS, settings.describe());
      compare(e2e, settings, List.of(COUNT, OURS, REPARTITIONED, PASS_THROUGH), orders);
    }
  }

  /** spanlinks against the count at each number of batch keys per hour, with both ceilings. */
  void cardinalitySweep(int orders, int hours, int[] keysPerHour) throws Exception {
    for (int keys : keysPerHour) {
      EndToEnd e2e = new EndToEnd(broker(), receiver(), orders, keys, hours);
      for (long commitIntervalMs : commitIntervalsMs) {
        StreamsSettings settings = StreamsSettings.withCommitInterval(commitIntervalMs);
        out.printf(
            "## Cardinality sweep: %,d keys per hour (%,d orders, %d hours, with export)%n%n"
                + "every variant: %s%n%n",
            keys, orders, hours, settings.describe());
        compare(e2e, settings, List.of(COUNT, OURS, PASS_THROUGH), orders);
      }
    }
  }

  /**
   * Scaling: 1, 2 and 4 stream threads, then two instances of one thread, on an input of {@code
   * partitions} partitions: spanlinks, the count and the pass-through ceiling.
   */
  void threadScaling(int orders, int keysPerHour, int hours, int partitions) throws Exception {
    EndToEnd e2e = new EndToEnd(broker(), receiver(), orders, keysPerHour, hours, partitions);
    int[][] shapes = {{1, 1}, {2, 1}, {4, 1}, {1, 2}};
    for (long commitIntervalMs : commitIntervalsMs) {
      for (int[] shape : shapes) {
        StreamsSettings settings =
            StreamsSettings.withCommitInterval(commitIntervalMs)
                .withThreadsAndInstances(shape[0], shape[1]);
        out.printf(
            "## Scaling: %d stream thread(s), %d instance(s) (%,d orders, %,d keys per hour, %d"
                + " hours, %d partitions, with export)%n%nevery variant: %s%n%n",
            shape[0], shape[1], orders, keysPerHour, hours, partitions, settings.describe());
        compare(e2e, settings, List.of(COUNT, OURS, PASS_THROUGH), orders);
      }
    }
  }

  /**
   * Runs the variants ABBA with the plain consumer before each iteration, then prints each
   * variant's throughput over the count's, and each one's share of the two ceilings.
   */
  private void compare(EndToEnd e2e, StreamsSettings settings, List<String> variants, int orders)
      throws Exception {
    List<Long> plain = new ArrayList<>();
    Map<String, List<EndToEnd.Run>> runsByVariant =
        iterate(e2e, settings, variants, () -> plain.add(e2e.plainConsumerNanos()));
    double plainPerSecond = orders / (median(plain) / 1e9);
    out.printf(
        Locale.ROOT,
        "plain consumer (ceiling), median: %.2f s, %,.0f records/s%n%n",
        median(plain) / 1e9,
        plainPerSecond);
    for (String variant : variants) {
      if (!variant.equals(COUNT) && !variant.equals(PASS_THROUGH)) {
        ratios(runsByVariant, variant);
      }
    }
    double passPerSecond = medianPerSecond(runsByVariant.get(PASS_THROUGH));
    double passMiddle = medianMiddle(runsByVariant.get(PASS_THROUGH));
    out.println(
        "| variant | median orders/s | share of pass-through | share of plain consumer |"
            + " median middle records/s | middle share of pass-through |");
    out.println("|---|---:|---:|---:|---:|---:|");
    for (String variant : variants) {
      double perSecond = medianPerSecond(runsByVariant.get(variant));
      double middle = medianMiddle(runsByVariant.get(variant));
      out.printf(
          Locale.ROOT,
          "| %s | %,.0f | %.2f | %.2f | %,.0f | %s |%n",
          variant,
          perSecond,
          perSecond / passPerSecond,
          perSecond / plainPerSecond,
          middle,
          middle == 0 || passMiddle == 0 ? "n/a" : format(middle / passMiddle));
    }
    out.println();
  }

  private static double medianPerSecond(List<EndToEnd.Run> runs) {
    return median(
        runs.stream().mapToDouble(run -> run.orders() / (run.processingNanos() / 1e9)).toArray());
  }

  /** The median steady-state rate; 0 when a run did not get through the middle of its input. */
  private static double medianMiddle(List<EndToEnd.Run> runs) {
    return runs.stream().anyMatch(run -> run.middleRecordsPerSecond() == 0)
        ? 0
        : median(runs.stream().mapToDouble(EndToEnd.Run::middleRecordsPerSecond).toArray());
  }

  /** Close latency of windows of {@code ordersPerWindow} orders. */
  void closeLatency(
      int ordersPerWindow, long windowMs, long graceMs, int warmupWindows, int measuredWindows)
      throws Exception {
    int keys = 3;
    out.printf(
        "## Close latency: %,d orders per %d ms window (%d keys), grace %d ms, %d warm-up and %d"
            + " measured windows, with export%n%n",
        ordersPerWindow, windowMs, keys, graceMs, warmupWindows, measuredWindows);
    String loadBefore = load();
    CloseLatency.Result result =
        new CloseLatency(broker(), receiver())
            .run(ordersPerWindow, keys, windowMs, graceMs, warmupWindows, measuredWindows);
    out.printf("load before: %s; after: %s%n%n", loadBefore, load());
    out.println("| measure | value |");
    out.println("|---|---:|");
    out.printf(Locale.ROOT, "| batches measured | %d |%n", result.latenciesMs().size());
    out.printf(Locale.ROOT, "| close latency p50 | %,d ms |%n", result.percentile(50));
    out.printf(Locale.ROOT, "| close latency p99 | %,d ms |%n", result.percentile(99));
    out.printf(
        Locale.ROOT,
        "| close latency max | %,d ms |%n",
        result.latenciesMs().get(result.latenciesMs().size() - 1));
    out.printf(
        Locale.ROOT,
        "| orders linked exactly once | %,d of %,d |%n",
        result.otlp().distinctContexts(),
        result.orders());
    out.printf(Locale.ROOT, "| OTLP bytes per link | %.1f |%n", result.otlp().bytesPerLink());
    out.printf(
        Locale.ROOT,
        "| stream threads blocked on export | %.2f s |%n",
        result.exportWaitNanos() / 1e9);
    out.printf("%nall latencies (ms): %s%n%n", result.latenciesMs());
  }

  /**
   * A discarded warm-up of every variant, then {@link #runs} iterations, the variants in order and
   * reversed by turns (ABBA).
   */
  private Map<String, List<EndToEnd.Run>> iterate(
      EndToEnd e2e, StreamsSettings settings, List<String> variants, Runnable eachIteration)
      throws Exception {
    out.println(
        "| iteration | variant | load before | start-up s | processing s | orders/s | batches |"
            + " orders | OTLP bytes/link | blocked on export s | receiver CPU s | RUNNING at s |"
            + " middle records/s | app CPU µs/order | app alloc B/order | changelog B/order |"
            + " peak heap after GC MB |");
    out.println(
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    Map<String, List<EndToEnd.Run>> results = new LinkedHashMap<>();
    variants.forEach(v -> results.put(v, new ArrayList<>()));
    for (int i = warmup ? -1 : 0; i < runs; i++) {
      eachIteration.run();
      List<String> order = new ArrayList<>(variants);
      if (i % 2 != 0) {
        java.util.Collections.reverse(order);
      }
      for (String variant : order) {
        String loadBefore = load();
        EndToEnd.Run run =
            switch (variant) {
              case COUNT -> e2e.dslCount(settings);
              case OURS -> e2e.spanlinks(false, settings);
              case REPARTITIONED -> e2e.spanlinks(true, settings);
              case PASS_THROUGH -> e2e.passThrough(settings);
              default -> throw new IllegalArgumentException("Unknown variant: " + variant);
            };
        row(i < 0 ? "warm-up" : Integer.toString(i + 1), variant, loadBefore, run);
        if (i >= 0) {
          results.get(variant).add(run);
        }
      }
    }
    out.printf("%nload after: %s%n%n", load());
    return results;
  }

  private void row(String iteration, String variant, String load, EndToEnd.Run run) {
    out.printf(
        Locale.ROOT,
        "| %s | %s | %s | %.2f | %.2f | %,.0f | %,d | %,d | %s | %s | %s | %.2f | %,.0f | %.2f"
            + " | %,.0f | %,.0f | %s |%n",
        iteration,
        variant,
        load,
        run.startupNanos() / 1e9,
        run.processingNanos() / 1e9,
        run.orders() / (run.processingNanos() / 1e9),
        run.batches(),
        run.orders(),
        run.otlp() == null ? "-" : String.format(Locale.ROOT, "%.1f", run.otlp().bytesPerLink()),
        run.otlp() == null ? "-" : String.format(Locale.ROOT, "%.2f", run.exportWaitNanos() / 1e9),
        run.otlp() == null ? "-" : String.format(Locale.ROOT, "%.2f", run.receiverCpuNanos() / 1e9),
        run.runningNanos() / 1e9,
        run.middleRecordsPerSecond(),
        run.app().cpuNanos() / 1e3 / run.orders(),
        (double) run.app().allocatedBytes() / run.orders(),
        (double) run.changelogBytes() / run.orders(),
        run.peakHeapBytes() < 0
            ? "-"
            : String.format(Locale.ROOT, "%,.0f", run.peakHeapBytes() / 1e6));
  }

  /** Throughput of {@code variant} over the count's, per pair (processing time, start-up apart). */
  private void ratios(Map<String, List<EndToEnd.Run>> results, String variant) {
    List<EndToEnd.Run> base = results.get(COUNT);
    List<EndToEnd.Run> ours = results.get(variant);
    double[] ratios = new double[base.size()];
    double[] totalRatios = new double[base.size()];
    double[] fromRunningRatios = new double[base.size()];
    for (int i = 0; i < ratios.length; i++) {
      ratios[i] = (double) base.get(i).processingNanos() / ours.get(i).processingNanos();
      fromRunningRatios[i] = (double) fromRunning(base.get(i)) / fromRunning(ours.get(i));
      totalRatios[i] =
          (double) (base.get(i).startupNanos() + base.get(i).processingNanos())
              / (ours.get(i).startupNanos() + ours.get(i).processingNanos());
    }
    out.printf(
        Locale.ROOT,
        "%s / baseline throughput, per pair: %s; min %.2fx, median %.2fx, max %.2fx"
            + " (start-up included: median %.2fx)%n",
        variant,
        Arrays.toString(Arrays.stream(ratios).mapToObj(r -> format(r)).toArray()),
        Arrays.stream(ratios).min().orElse(0),
        median(ratios),
        Arrays.stream(ratios).max().orElse(0),
        median(totalRatios));
    double[] middleRatios = new double[base.size()];
    for (int i = 0; i < middleRatios.length; i++) {
      double baseMiddle = base.get(i).middleRecordsPerSecond();
      middleRatios[i] = baseMiddle == 0 ? 0 : ours.get(i).middleRecordsPerSecond() / baseMiddle;
    }
    if (Arrays.stream(middleRatios).allMatch(r -> r > 0)) {
      out.printf(
          Locale.ROOT,
          "%s / baseline, steady state (input records/s from 10%% to 90%% of the input), per pair:"
              + " %s; min %.2fx, median %.2fx, max %.2fx%n",
          variant,
          Arrays.toString(Arrays.stream(middleRatios).mapToObj(r -> format(r)).toArray()),
          Arrays.stream(middleRatios).min().orElse(0),
          median(middleRatios),
          Arrays.stream(middleRatios).max().orElse(0));
    }
    out.printf(
        Locale.ROOT,
        "with the earlier rounds' clock (processing from the first RUNNING): median %.2fx%n",
        median(fromRunningRatios));
    out.printf(
        Locale.ROOT,
        "median start-up: baseline %.2f s, %s %.2f s%n%n",
        median(base.stream().map(EndToEnd.Run::startupNanos).toList()) / 1e9,
        variant,
        median(ours.stream().map(EndToEnd.Run::startupNanos).toList()) / 1e9);
  }

  /** Processing as the earlier rounds timed it: from the first RUNNING to the output read. */
  private static long fromRunning(EndToEnd.Run run) {
    return run.startupNanos() + run.processingNanos() - run.runningNanos();
  }

  private static String format(double ratio) {
    return String.format(Locale.ROOT, "%.2fx", ratio);
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n == 0 ? 0 : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static double median(List<Long> values) {
    return median(values.stream().mapToDouble(Long::doubleValue).toArray());
  }

  /** The 1, 5 and 15 minute load averages, as {@code uptime} shows them. */
  static String load() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  private EmbeddedKafka broker() throws IOException {
    if (broker == null) {
      broker = EmbeddedKafka.start(Map.of("num.partitions", Integer.toString(EndToEnd.PARTITIONS)));
    }
    return broker;
  }

  private OtlpLinkReceiver receiver() throws IOException {
    if (receiver == null) {
      receiver = new OtlpLinkReceiver();
    }
    return receiver;
  }

  @Override
  public void close() {
    if (receiver != null) {
      receiver.close();
    }
    if (broker != null) {
      broker.close();
    }
  }
}
