package dev.spanlinks.demo;

import dev.spanlinks.app.OtlpJsonFileSpanExporter;
import dev.spanlinks.app.StartupException;
import dev.spanlinks.app.StreamsRunner;
import dev.spanlinks.app.TopicSettings;
import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.app.orders.OrderSerdes;
import dev.spanlinks.app.report.LinkMapReport;
import dev.spanlinks.streams.BatchConfig;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: the whole pipeline in one JVM. An embedded single-node KRaft broker (unless {@code
 * --bootstrap-servers}), the streams application started as in production, and the traced producer
 * sending orders over a few simulated hours. It waits until every window has closed, prints the
 * batches, every order by outcome (dead letters by reason) and a verdict computed from the spans
 * the streams application ended, and exits 0 only when every traced order was linked exactly once.
 * The console shows progress and results; per-record warnings go to a log file ({@link DemoLog}).
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Run broker, streams app and producer in one JVM, then print the batches.")
final class DemoCommand implements Callable<Integer> {
  /** Where Kafka Streams' dead-letter queue (KIP-1034) keeps the reason for each record. */
  private static final String REASON_HEADER = "__streams.errors.message";

  @Spec CommandSpec spec;

  @Option(
      names = "--bootstrap-servers",
      description = "Use this Kafka cluster instead of an embedded broker.")
  String bootstrapServers;

  @Option(
      names = "--count",
      defaultValue = "3000",
      description = "Orders (default: ${DEFAULT-VALUE}).")
  int count;

  @Option(
      names = "--hours",
      defaultValue = "3",
      description = "Simulated hours (default: ${DEFAULT-VALUE}).")
  int hours;

  @Option(
      names = "--rate",
      defaultValue = "600",
      description = "Orders per second (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--batch-keys",
      split = ",",
      defaultValue = "eu,us,apac",
      description = "Default: ${DEFAULT-VALUE}.")
  List<String> batchKeys;

  @Option(
      names = "--invalid-ratio",
      defaultValue = "0.02",
      description = "Default: ${DEFAULT-VALUE}.")
  double invalidRatio;

  @Option(
      names = "--untraced-ratio",
      defaultValue = "0.05",
      description = "Default: ${DEFAULT-VALUE}.")
  double untracedRatio;

  @Option(
      names = "--spans-file",
      description =
          "OTLP JSON lines file for the spans when no OTLP endpoint is set"
              + " (default: spanlinks-demo-spans.jsonl in a new temporary directory).")
  Path spansFile;

  @Option(
      names = "--log-file",
      description =
          "The demo's log, with the per-record warnings that stay off the console"
              + " (default: spanlinks-demo.log in the run's temporary directory).")
  Path logFile;

  @Option(
      names = "--timeout",
      defaultValue = "PT60S",
      description = "Longest wait for the batches.")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String run = UUID.randomUUID().toString().substring(0, 8);
    Path workDir = Files.createTempDirectory("spanlinks-demo-");
    DemoLog log =
        DemoLog.install(logFile != null ? logFile : workDir.resolve("spanlinks-demo.log"));
    err.printf("log (per-record warnings and INFO lines go only there): %s%n", log.path());
    OtlpJsonFileSpanExporter file =
        DemoTelemetry.otlpEndpointConfigured()
            ? null
            : new OtlpJsonFileSpanExporter(
                spansFile != null ? spansFile : workDir.resolve("spanlinks-demo-spans.jsonl"));
    EmbeddedKafka broker = null;
    try {
      if (bootstrapServers == null) {
        err.println("starting an embedded Kafka broker ...");
        broker = log.quietly(EmbeddedKafka::start);
        bootstrapServers = broker.bootstrapServers();
      }
      err.printf("Kafka at %s%n", bootstrapServers);
      return runDemo(run, workDir, file, out, err);
    } finally {
      if (broker != null) {
        EmbeddedKafka closing = broker;
        log.quietly(
            () -> {
              closing.close();
              return null;
            });
      }
      log.close();
      out.printf("log (with the per-record warnings and INFO lines): %s%n", log.path());
      if (file != null) {
        file.closeFile();
        out.printf("spans (OTLP JSON lines): %s%n", file.path().toAbsolutePath());
        Path page =
            LinkMapReport.write(file.path(), file.path().toAbsolutePath().getParent(), null);
        out.printf("link map (open in a browser): %s%n", page.toAbsolutePath());
      }
    }
  }

  @SuppressWarnings("try") // the runner only has to run, and stop, around the production
  private int runDemo(
      String run, Path workDir, OtlpJsonFileSpanExporter file, PrintWriter out, PrintWriter err)
      throws Exception {
    // On a shared cluster, topics of this run only, so earlier data cannot mix in.
    String suffix = bootstrapServers.startsWith("127.0.0.1") ? "" : "-" + run;
    Map<String, Object> settings = new HashMap<>();
    settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "spanlinks-demo-" + run);
    settings.put(StreamsConfig.STATE_DIR_CONFIG, workDir.resolve("state").toString());
    settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
    settings.put(BatchConfig.ORDERS_TOPIC_CONFIG, "orders" + suffix);
    settings.put(BatchConfig.BATCHES_TOPIC_CONFIG, "order-batches" + suffix);
    settings.put(BatchConfig.LATE_TOPIC_CONFIG, "orders-late" + suffix);
    settings.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "orders-dlq" + suffix);
    // The last simulated hour lies in the past: once input stops, wall-clock time closes it.
    settings.put(BatchConfig.IDLE_CLOSE_MS_CONFIG, 3_000L);
    settings.put(BatchConfig.CLOSE_CHECK_INTERVAL_MS_CONFIG, 250L);
    BatchConfig config = new BatchConfig(settings);

    LinkTally tally = new LinkTally();
    OpenTelemetrySdk streamsTelemetry = DemoTelemetry.streams(config.linksPerSpan(), file, tally);
    OrderProducer.Result produced;
    List<OrderBatch> batches;
    Map<String, Long> deadLetterReasons;
    long late;
    try (StreamsRunner runner =
            StreamsRunner.start(
                config,
                streamsTelemetry,
                new TopicSettings(true, 3, (short) -1),
                Duration.ofSeconds(30));
        OpenTelemetrySdk producerTelemetry = DemoTelemetry.producer(file);
        OrderProducer producer =
            new OrderProducer(Map.of("bootstrap.servers", bootstrapServers), producerTelemetry)) {
      Instant start =
          Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(hours + 1L));
      double speed = hours * 3600.0 / (count / rate);
      err.printf("producing %,d orders over %d simulated hours from %s ...%n", count, hours, start);
      try {
        produced =
            producer.produce(
                new OrderProducer.Settings(
                    config.ordersTopic(),
                    count,
                    rate,
                    batchKeys,
                    start,
                    speed,
                    invalidRatio,
                    untracedRatio,
                    System.nanoTime()),
                err);
      } catch (org.apache.kafka.common.KafkaException e) {
        throw new StartupException(
            "Cannot send orders to Kafka at " + bootstrapServers + ": " + e.getMessage(), e);
      }
      producerTelemetry.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
      err.printf("waiting for every window to close (%d valid orders) ...%n", produced.valid());
      batches = awaitBatches(config.batchesTopic(), produced.valid());
      deadLetterReasons = deadLetterReasons(config.deadLetterTopic(), produced.invalid());
      late = countCommitted(config.lateTopic());
      streamsTelemetry.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
    }
    return report(batches, produced, deadLetterReasons, late, tally, out);
  }

  private List<OrderBatch> awaitBatches(String topic, long expectedOrders) {
    List<OrderBatch> batches = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<String, OrderBatch> consumer =
        readCommitted(topic, OrderSerdes.orderBatchDeserializer())) {
      long batched = 0;
      while (batched < expectedOrders && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, OrderBatch> record : consumer.poll(Duration.ofMillis(500))) {
          batches.add(record.value());
          batched += record.value().orderCount();
        }
      }
    }
    return batches;
  }

  /**
   * Counts the committed dead letters by the reason the streams application wrote in their {@code
   * __streams.errors.message} header, waiting a little for {@code expected} of them.
   */
  private Map<String, Long> deadLetterReasons(String topic, long expected) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    Map<String, Long> reasons = new TreeMap<>();
    long count = 0;
    try (KafkaConsumer<String, byte[]> consumer =
        readCommitted(topic, new ByteArrayDeserializer())) {
      while (count < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          Header reason = record.headers().lastHeader(REASON_HEADER);
          reasons.merge(
              reason == null || reason.value() == null
                  ? "(no " + REASON_HEADER + " header)"
                  : new String(reason.value(), StandardCharsets.UTF_8),
              1L,
              Long::sum);
          count++;
        }
      }
    }
    return reasons;
  }

  /** Counts every committed record of a topic, up to its end now. */
  private long countCommitted(String topic) {
    long count = 0;
    try (KafkaConsumer<String, byte[]> consumer =
        readCommitted(topic, new ByteArrayDeserializer())) {
      Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment());
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (System.nanoTime() < deadline
          && ends.entrySet().stream()
              .anyMatch(end -> consumer.position(end.getKey()) < end.getValue())) {
        count += consumer.poll(Duration.ofMillis(200)).count();
      }
    }
    return count;
  }

  private <V> KafkaConsumer<String, V> readCommitted(String topic, Deserializer<V> values) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    KafkaConsumer<String, V> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), values);
    List<TopicPartition> partitions =
        consumer.partitionsFor(topic).stream()
            .map(info -> new TopicPartition(topic, info.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }

  private int report(
      List<OrderBatch> batches,
      OrderProducer.Result produced,
      Map<String, Long> deadLetterReasons,
      long late,
      LinkTally tally,
      PrintWriter out) {
    batches.sort(Comparator.comparing(OrderBatch::windowStart).thenComparing(OrderBatch::batchKey));
    out.printf(
        "%n%-22s %-6s %7s %7s  %s%n", "window start", "key", "orders", "links", "batch trace id");
    for (OrderBatch batch : batches) {
      out.printf(
          "%-22s %-6s %7d %7d  %s%n",
          batch.windowStart(),
          batch.batchKey(),
          batch.orderCount(),
          batch.linkedCount(),
          batch.traceId());
    }
    long batchedOrders = batches.stream().mapToLong(OrderBatch::orderCount).sum();
    long duplicates = batches.stream().mapToLong(OrderBatch::duplicateCount).sum();
    long deadLetters = deadLetterReasons.values().stream().mapToLong(Long::longValue).sum();
    long linkedOnce = tally.linkedExactlyOnce(produced.tracedOrders());
    boolean allLinked =
        linkedOnce == produced.tracedOrders().size() && batchedOrders == produced.valid();
    out.printf(
        "%norders: %,d produced = %,d batched + %,d duplicates + %,d late + %,d dead-lettered"
            + " (%s; %,d sent invalid, %,d without trace context)%n",
        produced.produced(),
        batchedOrders,
        duplicates,
        late,
        deadLetters,
        batchedOrders + duplicates + late + deadLetters == produced.produced()
            ? "every order accounted for"
            : "NOT every order accounted for",
        produced.invalid(),
        produced.untraced());
    // Largest first; the reasons name the rule an order broke, never its payload.
    deadLetterReasons.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(
            reason -> out.printf("  dead-lettered %,7d: %s%n", reason.getValue(), reason.getKey()));
    out.printf(
        "every traced order linked exactly once: %s (%,d of %,d)%n",
        allLinked ? "yes" : "no", linkedOnce, produced.tracedOrders().size());
    return allLinked ? 0 : 1;
  }
}
