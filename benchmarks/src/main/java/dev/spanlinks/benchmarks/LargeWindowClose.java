package dev.spanlinks.benchmarks;

import com.sun.net.httpserver.HttpServer;
import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.app.orders.OrderSerdes;
import dev.spanlinks.demo.EmbeddedKafka;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.test.TestRecord;

/**
 * One window of many orders, one batch key, closed by the real {@code streams-app.jar run} in a
 * child JVM with a small heap, against the embedded broker in this JVM. Spans go over OTLP
 * (http/protobuf) to a sink in this JVM that counts the bytes and discards them, so the child pays
 * for building and exporting every link.
 *
 * <p>Peak heap is read from the child's own GC log ({@code -Xlog:gc}): the largest heap occupancy
 * before a collection (the high-water mark the heap reached) and the largest after one (what was
 * still live).
 */
final class LargeWindowClose implements AutoCloseable {
  private static final Pattern GC_LINE = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");
  private static final String KEY = "key-0";

  /**
   * @param completed whether the batch of every order reached the output topic
   * @param ingestMillis from the child's start until it had committed every order
   * @param closeMillis from sending the order that closes the window to reading its batch
   */
  record Result(
      int orders,
      boolean completed,
      String failure,
      long ingestMillis,
      long closeMillis,
      long peakHeapBeforeGcMb,
      long peakHeapAfterGcMb,
      long largestChangelogRecordBytes,
      long changelogRecords,
      long linked,
      int chunkSpans,
      long otlpRequests,
      long otlpBytes) {}

  private final EmbeddedKafka broker;
  private final int orders;
  private final String heap;
  private final Path streamsJar;
  private final Path workDir;
  private final String suffix = UUID.randomUUID().toString().substring(0, 6);
  private final String ordersTopic = "close-orders-" + suffix;
  private final String batchesTopic = "close-batches-" + suffix;
  private final String applicationId = "bench-close-" + suffix;
  private final long windowStartMs;
  private final HttpServer otlpSink;
  private final AtomicLong otlpRequests = new AtomicLong();
  private final AtomicLong otlpBytes = new AtomicLong();
  private boolean keepWorkDir = true;

  LargeWindowClose(int orders, String heap, Path streamsJar) throws IOException {
    if (!Files.isRegularFile(streamsJar)) {
      throw new IllegalStateException(
          "No " + streamsJar + ": build it first (./mvnw -B -q -DskipTests package)");
    }
    this.orders = orders;
    this.heap = heap;
    this.streamsJar = streamsJar;
    this.workDir = Files.createTempDirectory("spanlinks-bench-close-");
    // Three hours back: the window is in the past, and the order that closes it is not in the
    // future (orders too far ahead of the wall clock are dead-lettered).
    long hour = Inputs.HOUR;
    this.windowStartMs = (System.currentTimeMillis() / hour - 3) * hour;
    this.broker = EmbeddedKafka.start(Map.of("num.partitions", "1"));
    this.otlpSink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    otlpSink.createContext(
        "/v1/traces",
        exchange -> {
          try (InputStream body = exchange.getRequestBody()) {
            otlpBytes.addAndGet(body.transferTo(java.io.OutputStream.nullOutputStream()));
          }
          otlpRequests.incrementAndGet();
          exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    otlpSink.start();
  }

  Result run() throws Exception {
    produce(0, orders, windowStartMs);
    Path gcLog = workDir.resolve("gc.log");
    Process child = startChild(gcLog);
    long started = System.nanoTime();
    try {
      String failure = awaitCommitted(child, orders);
      if (failure != null) {
        return failed(failure, gcLog, 0);
      }
      long ingestMillis = (System.nanoTime() - started) / 1_000_000;
      long trigger = System.nanoTime();
      // An order two hours later: stream time passes the window's end plus grace.
      produce(orders, 1, windowStartMs + 2 * Inputs.HOUR);
      OrderBatch batch = awaitBatch(child);
      long closeMillis = (System.nanoTime() - trigger) / 1_000_000;
      if (batch == null) {
        return failed("the child stopped before the batch was written", gcLog, ingestMillis);
      }
      stop(child);
      long[] changelog = changelogSizes();
      long[] gc = peakHeap(gcLog);
      boolean complete = batch.orderCount() == orders && batch.linkedCount() == orders;
      keepWorkDir = !complete;
      return new Result(
          orders,
          complete,
          complete ? "" : "batch had " + batch.orderCount() + " orders",
          ingestMillis,
          closeMillis,
          gc[0],
          gc[1],
          changelog[0],
          changelog[1],
          batch.linkedCount(),
          batch.linkChunkCount(),
          otlpRequests.get(),
          otlpBytes.get());
    } finally {
      stop(child);
    }
  }

  private Result failed(String why, Path gcLog, long ingestMillis) throws IOException {
    long[] gc = peakHeap(gcLog);
    return new Result(
        orders,
        false,
        why + " (child log: " + workDir.resolve("child.log") + ")",
        ingestMillis,
        -1,
        gc[0],
        gc[1],
        -1,
        -1,
        0,
        0,
        otlpRequests.get(),
        otlpBytes.get());
  }

  private void produce(int first, int count, long fromMs) {
    // Spread over the hour, several orders a millisecond past 3.6 million: all in one window.
    long span = Inputs.HOUR - 1;
    try (InputProducer producer = new InputProducer(broker.bootstrapServers(), ordersTopic, 20)) {
      for (int i = 0; i < count; i++) {
        TestRecord<String, byte[]> order =
            Inputs.order(first + i, KEY, fromMs + (long) i * span / Math.max(1, count));
        producer.send(order);
      }
    }
  }

  private Process startChild(Path gcLog) throws IOException {
    Path config = workDir.resolve("streams.properties");
    Properties props = new Properties();
    props.put("application.id", applicationId);
    props.put("bootstrap.servers", broker.bootstrapServers());
    props.put("state.dir", workDir.resolve("state").toString());
    props.put("spanlinks.orders.topic", ordersTopic);
    props.put("spanlinks.batches.topic", batchesTopic);
    props.put("spanlinks.late.topic", "close-late-" + suffix);
    props.put("errors.dead.letter.queue.topic.name", "close-dlq-" + suffix);
    try (Writer writer = Files.newBufferedWriter(config)) {
      props.store(writer, "close1m benchmark");
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx" + heap,
                "-Xlog:gc:file=" + gcLog,
                "-XX:+ExitOnOutOfMemoryError",
                "-jar",
                streamsJar.toString(),
                "run",
                "--config",
                config.toString(),
                "--partitions",
                "1",
                "--replication-factor",
                "1"));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(workDir.resolve("child.log").toFile());
    Map<String, String> env = builder.environment();
    env.remove("KAFKA_BOOTSTRAP_SERVERS");
    env.put("OTEL_TRACES_EXPORTER", "otlp");
    env.put("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf");
    env.put(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "http://127.0.0.1:" + otlpSink.getAddress().getPort() + "/v1/traces");
    env.put("OTEL_METRICS_EXPORTER", "none");
    env.put("OTEL_LOGS_EXPORTER", "none");
    return builder.start();
  }

  /** Null once the child has committed {@code count} input offsets, else why it never will. */
  private String awaitCommitted(Process child, long count) throws Exception {
    TopicPartition partition = new TopicPartition(ordersTopic, 0);
    long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      while (System.nanoTime() < deadline) {
        if (!child.isAlive()) {
          return "the child exited with " + child.exitValue() + " while reading the orders";
        }
        Map<TopicPartition, OffsetAndMetadata> offsets =
            admin
                .listConsumerGroupOffsets(applicationId)
                .partitionsToOffsetAndMetadata()
                .get(10, TimeUnit.SECONDS);
        OffsetAndMetadata committed = offsets.get(partition);
        if (committed != null && committed.offset() >= count) {
          return null;
        }
        Thread.sleep(200);
      }
    }
    return "the child did not commit every order within 20 minutes";
  }

  private OrderBatch awaitBatch(Process child) {
    long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
    try (KafkaConsumer<String, OrderBatch> consumer =
        new KafkaConsumer<>(
            Map.of(
                "bootstrap.servers",
                broker.bootstrapServers(),
                "isolation.level",
                "read_committed"),
            new StringDeserializer(),
            OrderSerdes.orderBatchDeserializer())) {
      List<TopicPartition> partitions = List.of(new TopicPartition(batchesTopic, 0));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (System.nanoTime() < deadline && child.isAlive()) {
        for (ConsumerRecord<String, OrderBatch> record : consumer.poll(Duration.ofMillis(50))) {
          return record.value();
        }
      }
    }
    return null;
  }

  /** Largest changelog record (key + value bytes) and the number of records, tombstones too. */
  private long[] changelogSizes() {
    String changelog = applicationId + "-batch-contributions-changelog";
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                "bootstrap.servers",
                broker.bootstrapServers(),
                "isolation.level",
                "read_committed",
                "max.poll.records",
                5000),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = List.of(new TopicPartition(changelog, 0));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long end = consumer.endOffsets(partitions).get(partitions.get(0));
      long largest = 0;
      long records = 0;
      while (consumer.position(partitions.get(0)) < end) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          long size =
              (record.key() == null ? 0 : record.key().length)
                  + (record.value() == null ? 0 : record.value().length);
          largest = Math.max(largest, size);
          records++;
        }
      }
      return new long[] {largest, records};
    }
  }

  /** Largest heap occupancy before and after a collection, in MB, from the child's GC log. */
  private static long[] peakHeap(Path gcLog) throws IOException {
    long before = 0;
    long after = 0;
    if (Files.exists(gcLog)) {
      for (String line : Files.readAllLines(gcLog)) {
        Matcher matcher = GC_LINE.matcher(line);
        if (matcher.find()) {
          before = Math.max(before, Long.parseLong(matcher.group(1)));
          after = Math.max(after, Long.parseLong(matcher.group(2)));
        }
      }
    }
    return new long[] {before, after};
  }

  private static void stop(Process child) throws InterruptedException {
    if (child.isAlive()) {
      child.destroy();
      if (!child.waitFor(60, TimeUnit.SECONDS)) {
        child.destroyForcibly().waitFor();
      }
    }
  }

  /** Deletes the child's state and logs, unless the run failed: then its log tells why. */
  @Override
  public void close() {
    otlpSink.stop(0);
    broker.close();
    if (!keepWorkDir) {
      try (Stream<Path> files = Files.walk(workDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot delete " + workDir, e);
      }
    }
  }
}
