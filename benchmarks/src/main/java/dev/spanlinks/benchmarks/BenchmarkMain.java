package dev.spanlinks.benchmarks;

import dev.spanlinks.streams.BatchConfig;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.io.PrintStream;
import java.nio.file.Path;
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
 * java -jar benchmarks/target/benchmarks.jar [--scale 1.0] [--heap 256m] [--streams-jar path] close1m
 * </pre>
 *
 * {@code --scale} multiplies every order count (the CI smoke test runs a tiny scale). {@code
 * close1m} is not part of the default set: it needs the shaded {@code streams-app.jar} and takes
 * minutes.
 */
public final class BenchmarkMain implements AutoCloseable {
  private static final String USAGE =
      String.join(
          "\n",
          "Usage: java -jar benchmarks.jar [--runs N] [--scale F] [--no-warmup] [--heap 256m]"
              + " [--streams-jar PATH] [--keys 3,1000,10000,100000] [--sweep-hours 2]"
              + " [--commit-interval-ms 100,1000]"
              + " [SCENARIO]...",
          "Scenarios (default: throughput list scaling e2e sweep latency):",
          "  throughput  TopologyTestDriver, spanlinks vs the untraced DSL count",
          "  list        the list-in-an-aggregate design at 1k, 10k, 100k orders",
          "  list10k     its 1k and 10k rows only",
          "  list100k    its 100k row only (a single run of the list design: minutes)",
          "  scaling     spanlinks cost per order from 1k to 1M orders in one window",
          "  e2e         embedded broker, exactly_once_v2, spans exported over OTLP/HTTP to a"
              + " receiver in a child JVM: spanlinks (and with repartition by key) vs the DSL"
              + " count, ABBA, with two ceilings: an exactly-once pass-through and a plain"
              + " consumer; every variant at each --commit-interval-ms (100 and 1,000)",
          "  sweep       spanlinks vs the count at 3, 1,000, 10,000 and 100,000 batch keys per hour"
              + " (--keys), 100,000 orders per hour over 2 hours (--sweep-hours), with export",
          "  threads     1, 2 and 4 stream threads, then two instances, on 6 partitions:"
              + " spanlinks, the count and the pass-through (not in the default set)",
          "  latency     window close latency (p50, p99) at 10,000 orders per 5 s window, sent at"
              + " a fixed rate with event time = now",
          "  senders     ms per OTLP/HTTP export request: OkHttp (the SDK's default) vs the JDK's"
              + " HttpClient (spanlinks' choice)",
          "  close1m     1M orders in one window closed by streams-app.jar run in a child JVM"
              + " with -Xmx256m (--heap); needs streams-app/target/streams-app.jar (--streams-jar)");

  private final int runs;
  private final double scale;
  private final PrintStream out;
  private String childHeap = "256m";
  private Path streamsJar = Path.of("streams-app", "target", "streams-app.jar");
  private boolean warmup = true;
  private int sweepHours = 2;
  private List<Long> commitIntervalsMs = List.of(100L, 1_000L);
  private ExportScenarios exportScenarios;

  BenchmarkMain(int runs, double scale, PrintStream out) {
    this.runs = runs;
    this.scale = scale;
    this.out = out;
  }

  /** The commit intervals every scenario with export runs at, each variant with the same. */
  BenchmarkMain withCommitIntervals(List<Long> intervalsMs) {
    commitIntervalsMs = List.copyOf(intervalsMs);
    return this;
  }

  /** Without the discarded warm-up iteration of the scenarios with export (the smoke test). */
  BenchmarkMain withoutWarmup() {
    warmup = false;
    return this;
  }

  public static void main(String[] args) {
    int runs = 3;
    double scale = 1.0;
    String heap = null;
    Path jar = null;
    boolean noWarmup = false;
    int[] sweepKeys = {3, 1_000, 10_000, 100_000};
    int sweepHours = 2;
    List<Long> commitIntervals = null;
    List<String> scenarios = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--scale" -> scale = Double.parseDouble(args[++i]);
        case "--heap" -> heap = args[++i];
        case "--streams-jar" -> jar = Path.of(args[++i]);
        case "--no-warmup" -> noWarmup = true;
        case "--sweep-hours" -> sweepHours = Integer.parseInt(args[++i]);
        case "--commit-interval-ms" ->
            commitIntervals = Arrays.stream(args[++i].split(",")).map(Long::valueOf).toList();
        case "--keys" ->
            sweepKeys = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "-h", "--help" -> {
          System.out.println(USAGE);
          return;
        }
        default -> scenarios.add(args[i]);
      }
    }
    if (scenarios.isEmpty()) {
      scenarios = List.of("throughput", "list", "scaling", "e2e", "sweep", "latency");
    }
    BenchmarkMain main = new BenchmarkMain(runs, scale, System.out);
    if (noWarmup) {
      main.withoutWarmup();
    }
    main.sweepHours = sweepHours;
    if (commitIntervals != null) {
      main.withCommitIntervals(commitIntervals);
    }
    if (heap != null) {
      main.childHeap = heap;
    }
    if (jar != null) {
      main.streamsJar = jar;
    }
    System.out.printf(
        "# spanlinks benchmarks: %d runs each (medians), %d cores, Java %s, max heap %d MB%n%n",
        runs,
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        Runtime.getRuntime().maxMemory() / (1024 * 1024));
    try (main) {
      for (String scenario : scenarios) {
        switch (scenario) {
          case "throughput" -> main.throughput();
          case "list" -> main.listAggregate();
          case "list10k" -> main.listAggregate(new int[] {1_000, 10_000});
          case "list100k" -> main.listAggregate(new int[] {100_000});
          case "scaling" -> main.scaling();
          case "e2e" -> main.endToEnd();
          case "sweep" -> main.cardinalitySweep(sweepKeys);
          case "threads" -> main.threadScaling();
          case "latency" -> main.closeLatency();
          case "close1m" -> main.closeLargeWindow();
          case "senders" -> main.senderLatency();
          default -> throw new IllegalArgumentException("Unknown scenario: " + scenario);
        }
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
    listAggregate(new int[] {1_000, 10_000, 100_000});
  }

  /**
   * The list design at the given window sizes. Its 100,000-order row is a single run without
   * warm-up: it is quadratic and takes minutes.
   */
  void listAggregate(int[] sizes) {
    out.println("## List of contexts in a DSL aggregate vs spanlinks, one window, one key");
    out.println();
    out.println(
        "| orders | list µs/order | spanlinks µs/order | ratio | list largest changelog record | spanlinks largest changelog record |");
    out.println("|---:|---:|---:|---:|---:|---:|");
    for (int base : sizes) {
      int orders = scaled(base);
      List<TestRecord<String, byte[]>> input = Inputs.orders(orders, 1, 1);
      Supplier<TtdRun.Result> listRun =
          () ->
              TtdRun.run(
                  Variants.listAggregate(),
                  props("bench-list"),
                  input,
                  Variants.OUT,
                  "bench-list-list-store-changelog");
      TtdRun.Result list = base >= 100_000 ? listRun.get() : median(listRun);
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
    out.println(
        "(The list design's 100,000-order row is a single run without warm-up: it is quadratic.)");
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

  /**
   * 5. End to end on the embedded broker with export (OTLP/HTTP to a receiver in a child JVM),
   * against the untraced count and a plain consumer: 3 keys, 6 hours.
   */
  void endToEnd() {
    export(e -> e.endToEnd(scaled(300_000), 3, 6));
  }

  /**
   * 5b. The same against the count at the given numbers of batch keys per hour (scaled down below
   * scale 1, never below 3): 100,000 orders per hour, so 100,000 keys per hour is one order per
   * batch.
   */
  void cardinalitySweep(int[] keysPerHour) {
    // Below scale 1 (the smoke test) the key counts shrink with the orders; from 1 up they stay as
    // given, so that --scale 15 measures 1,000 keys an hour over 3M orders, not 15,000.
    int[] keys =
        Arrays.stream(keysPerHour)
            .map(k -> k <= 3 || scale >= 1 ? k : Math.max(3, (int) (k * scale)))
            .toArray();
    int hours = sweepHours;
    export(e -> e.cardinalitySweep(scaled(100_000) * hours, hours, keys));
  }

  /**
   * 5d. Scaling with stream threads and instances: 1,000 keys per hour over 6 partitions, 100,000
   * orders an hour for {@code --sweep-hours}.
   */
  void threadScaling() {
    int hours = sweepHours;
    export(e -> e.threadScaling(scaled(100_000) * hours, 1_000, hours, 6));
  }

  /**
   * 5c. Close latency: 10,000 orders per 5 s window at a fixed rate; at a small scale, fewer orders
   * in 1 s windows.
   */
  void closeLatency() {
    boolean full = scale >= 1.0;
    export(
        e ->
            e.closeLatency(
                scaled(10_000),
                full ? 5_000 : 1_000,
                full ? 500 : 200,
                full ? 2 : 0,
                full ? 24 : 2));
  }

  private interface ExportScenario {
    void run(ExportScenarios scenarios) throws Exception;
  }

  private void export(ExportScenario scenario) {
    if (exportScenarios == null) {
      exportScenarios = new ExportScenarios(runs, warmup, commitIntervalsMs, out);
    }
    try {
      scenario.run(exportScenarios);
    } catch (Exception e) {
      throw new IllegalStateException("Benchmark with export failed", e);
    }
  }

  /** Stops the broker and the OTLP receiver of the scenarios with export, if they ran. */
  @Override
  public void close() {
    if (exportScenarios != null) {
      exportScenarios.close();
    }
  }

  /** The time of one OTLP/HTTP export request, OkHttp against the JDK's HttpClient. */
  void senderLatency() {
    try {
      SenderLatency.run(runs, out);
    } catch (Exception e) {
      throw new IllegalStateException("Sender benchmark failed", e);
    }
  }

  /** 6. One window of 1M orders closed by streams-app.jar in a child JVM with a small heap. */
  void closeLargeWindow() {
    int orders = scaled(1_000_000);
    LargeWindowClose.Result result;
    try (LargeWindowClose close = new LargeWindowClose(orders, childHeap, streamsJar)) {
      result = close.run();
    } catch (Exception e) {
      throw new IllegalStateException("Large window benchmark failed", e);
    }
    out.printf(
        "## One window of %,d orders, one key, closed by streams-app.jar run with -Xmx%s"
            + " (child JVM; broker and OTLP sink in this JVM)%n%n",
        orders, childHeap);
    out.println("| measure | value |");
    out.println("|---|---:|");
    out.printf("| completed | %s |%n", result.completed() ? "yes" : "NO: " + result.failure());
    out.printf(
        "| ingest (start-up until every order committed) | %,d ms |%n", result.ingestMillis());
    out.printf("| close (closing order sent until batch read) | %,d ms |%n", result.closeMillis());
    out.printf("| child peak heap used (before a GC) | %,d MB |%n", result.peakHeapBeforeGcMb());
    out.printf("| child peak heap live (after a GC) | %,d MB |%n", result.peakHeapAfterGcMb());
    out.printf(
        "| largest changelog record (key + value) | %,d B |%n",
        result.largestChangelogRecordBytes());
    out.printf("| changelog records (tombstones included) | %,d |%n", result.changelogRecords());
    out.printf(
        "| links / chunk spans in the batch | %,d / %,d |%n", result.linked(), result.chunkSpans());
    out.printf(
        "| OTLP export requests / bytes received | %,d / %,d |%n",
        result.otlpRequests(), result.otlpBytes());
    out.println();
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
