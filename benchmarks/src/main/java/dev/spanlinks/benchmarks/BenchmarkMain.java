package dev.spanlinks.benchmarks;

import dev.spanlinks.streams.BatchConfig;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Runs the benchmarks and prints Markdown tables of medians. Every figure is compared with a
 * baseline measured in the same run on the same input.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar [--runs 3] [--scale 1.0] [throughput|list|scaling|e2e]...
 * </pre>
 *
 * {@code --scale} multiplies every order count (the CI smoke test runs a tiny scale).
 */
public final class BenchmarkMain {
  private final int runs;
  private final double scale;
  private final PrintStream out;

  BenchmarkMain(int runs, double scale, PrintStream out) {
    this.runs = runs;
    this.scale = scale;
    this.out = out;
  }

  public static void main(String[] args) {
    int runs = 3;
    double scale = 1.0;
    List<String> scenarios = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--scale" -> scale = Double.parseDouble(args[++i]);
        default -> scenarios.add(args[i]);
      }
    }
    if (scenarios.isEmpty()) {
      scenarios = List.of("throughput", "list", "scaling", "e2e");
    }
    BenchmarkMain main = new BenchmarkMain(runs, scale, System.out);
    System.out.printf(
        "# spanlinks benchmarks: %d runs each (medians), %d cores, Java %s, max heap %d MB%n%n",
        runs,
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        Runtime.getRuntime().maxMemory() / (1024 * 1024));
    for (String scenario : scenarios) {
      switch (scenario) {
        case "throughput" -> main.throughput();
        case "list" -> main.listAggregate();
        case "scaling" -> main.scaling();
        case "e2e" -> main.endToEnd();
        default -> throw new IllegalArgumentException("Unknown scenario: " + scenario);
      }
    }
  }

  /** 1. Ours vs the untraced DSL windowed count, same input, TopologyTestDriver. */
  void throughput() {
    int orders = scaled(200_000);
    List<TestRecord<String, byte[]>> input = Inputs.orders(orders, 3, 6);
    TtdRun.Result ours = median(() -> runOurs(input, "bench-ours"));
    TtdRun.Result count =
        median(
            () ->
                TtdRun.run(
                    Variants.dslCount(),
                    props("bench-count"),
                    input,
                    Variants.OUT,
                    "bench-count-count-store-changelog"));
    out.printf("## Throughput, TopologyTestDriver (%,d orders, 3 keys, 6 hours)%n%n", orders);
    out.println("| variant | orders/s | µs/order | batches out |");
    out.println("|---|---:|---:|---:|");
    row("spanlinks", ours, orders);
    row("untraced DSL count (baseline)", count, orders);
    out.printf(
        "%nspanlinks / baseline throughput: %.2fx%n%n",
        ours.ordersPerSecond(orders) / count.ordersPerSecond(orders));
  }

  /** 2. The list-in-a-DSL-aggregate design, all orders in one window and key. */
  void listAggregate() {
    out.println("## List of contexts in a DSL aggregate vs spanlinks, one window, one key");
    out.println();
    out.println(
        "| orders | list µs/order | spanlinks µs/order | ratio | list largest changelog record | spanlinks largest changelog record |");
    out.println("|---:|---:|---:|---:|---:|---:|");
    for (int base : new int[] {1_000, 10_000, 100_000}) {
      int orders = scaled(base);
      List<TestRecord<String, byte[]>> input = Inputs.orders(orders, 1, 1);
      TtdRun.Result list =
          median(
              () ->
                  TtdRun.run(
                      Variants.listAggregate(),
                      props("bench-list"),
                      input,
                      Variants.OUT,
                      "bench-list-list-store-changelog"));
      TtdRun.Result ours = median(() -> runOurs(input, "bench-ours"));
      out.printf(
          "| %,d | %.1f | %.1f | %.1fx | %,d B | %,d B |%n",
          orders,
          list.microsPerOrder(orders),
          ours.microsPerOrder(orders),
          list.microsPerOrder(orders) / ours.microsPerOrder(orders),
          list.largestChangelogBytes(),
          ours.largestChangelogBytes());
    }
    out.println();
    out.println("(The list design's 100,000-order row is a single run: it is quadratic.)");
    out.println();
  }

  /** 3. Cost per order of spanlinks as one window grows. */
  void scaling() {
    out.println("## spanlinks cost per order by window size (one window, one key)");
    out.println();
    out.println(
        "| orders in the window | µs/order | largest changelog record | changelog bytes/order |");
    out.println("|---:|---:|---:|---:|");
    Map<Integer, Double> micros = new HashMap<>();
    for (int base : new int[] {1_000, 10_000, 100_000, 1_000_000}) {
      int orders = scaled(base);
      List<TestRecord<String, byte[]>> input = Inputs.orders(orders, 1, 1);
      TtdRun.Result ours = median(() -> runOurs(input, "bench-ours"));
      micros.put(base, ours.microsPerOrder(orders));
      out.printf(
          "| %,d | %.2f | %,d B | %.0f B |%n",
          orders,
          ours.microsPerOrder(orders),
          ours.largestChangelogBytes(),
          (double) ours.changelogBytes() / orders);
    }
    out.printf(
        "%ncost per order, 1M vs 10k: %.2fx%n%n", micros.get(1_000_000) / micros.get(10_000));
  }

  /** 5. End to end on the embedded broker, against the untraced count and a plain consumer. */
  void endToEnd() {
    int orders = scaled(300_000);
    try (EndToEnd e2e = new EndToEnd(orders)) {
      long[] plain = new long[runs];
      long[] count = new long[runs];
      long[] ours = new long[runs];
      for (int i = 0; i < runs; i++) {
        plain[i] = e2e.plainConsumerNanos();
        count[i] = e2e.dslCountNanos();
        ours[i] = e2e.spanlinksNanos();
      }
      long plainMedian = medianOf(plain);
      long countMedian = medianOf(count);
      long oursMedian = medianOf(ours);
      out.printf(
          "## End to end, embedded broker, exactly_once_v2 (%,d orders, 3 keys, 6 hours,"
              + " 3 partitions; start-up included)%n%n",
          orders);
      out.println("| variant | orders/s | seconds |");
      out.println("|---|---:|---:|");
      for (Object[] row :
          new Object[][] {
            {"plain consumer (ceiling)", plainMedian},
            {"untraced DSL count (baseline)", countMedian},
            {"spanlinks", oursMedian}
          }) {
        long nanos = (Long) row[1];
        out.printf(
            Locale.ROOT, "| %s | %,.0f | %.2f |%n", row[0], orders / (nanos / 1e9), nanos / 1e9);
      }
      out.printf(
          "%nspanlinks / baseline throughput: %.2fx; spanlinks / plain consumer: %.2fx%n%n",
          (double) countMedian / oursMedian, (double) plainMedian / oursMedian);
    } catch (Exception e) {
      throw new IllegalStateException("End-to-end benchmark failed", e);
    }
  }

  private static long medianOf(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private TtdRun.Result runOurs(List<TestRecord<String, byte[]>> input, String applicationId) {
    Properties props = props(applicationId);
    BatchConfig config = new BatchConfig(props);
    try (OpenTelemetrySdk sdk = Variants.discardingSdk(config.linksPerSpan())) {
      Properties streams = config.streamsProperties();
      streams.putAll(props);
      return TtdRun.run(
          Variants.ours(config, sdk),
          streams,
          input,
          "order-batches",
          applicationId + "-batch-contributions-changelog");
    }
  }

  private static Properties props(String applicationId) {
    Properties props = new Properties();
    props.putAll(Variants.baseProps(applicationId));
    return props;
  }

  private int scaled(int orders) {
    return Math.max(10, (int) (orders * scale));
  }

  /** The run with the median time of {@link #runs} runs, after one warm-up run. */
  private TtdRun.Result median(Supplier<TtdRun.Result> run) {
    run.get();
    TtdRun.Result[] results = new TtdRun.Result[runs];
    for (int i = 0; i < runs; i++) {
      results[i] = run.get();
    }
    Arrays.sort(results, (a, b) -> Long.compare(a.nanos(), b.nanos()));
    return results[runs / 2];
  }

  private void row(String name, TtdRun.Result result, int orders) {
    out.printf(
        Locale.ROOT,
        "| %s | %,.0f | %.2f | %,d |%n",
        name,
        result.ordersPerSecond(orders),
        result.microsPerOrder(orders),
        result.outputs());
  }
}
