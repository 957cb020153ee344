package dev.spanlinks.benchmarks;

import dev.spanlinks.app.StreamsRunner;
import dev.spanlinks.app.TopicSettings;
import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.app.orders.OrderSerdes;
import dev.spanlinks.demo.EmbeddedKafka;
import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.trace.internals.BatchTracer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Close latency in real time: a producer sends orders at a fixed rate with event time = now, into
 * windows of a few seconds, so stream time follows the wall clock and windows close as in
 * production, only sooner. Each batch's latency runs from its window's end plus grace (wall clock)
 * to the moment a read_committed consumer reads it. spanlinks runs with the shipped SDK exporting
 * to {@link OtlpLinkReceiver} in another JVM; the run fails unless every order was linked once.
 */
final class CloseLatency {
  private static final int PARTITIONS = 3;

  /**
   * @param latenciesMs one per batch of a measured window, ascending
   */
  record Result(
      long orders, List<Long> latenciesMs, OtlpLinkReceiver.Counts otlp, long exportWaitNanos) {

    /** Nearest-rank percentile. */
    long percentile(double p) {
      int rank = (int) Math.ceil(p / 100.0 * latenciesMs.size());
      return latenciesMs.get(Math.max(0, rank - 1));
    }
  }

  private record Seen(long windowEndMs, long orders, long readAtMs) {}

  private final EmbeddedKafka broker;
  private final OtlpLinkReceiver receiver;
  private final String suffix = UUID.randomUUID().toString().substring(0, 6);
  private final String ordersTopic = "latency-orders-" + suffix;
  private final String batchesTopic = "latency-batches-" + suffix;

  CloseLatency(EmbeddedKafka broker, OtlpLinkReceiver receiver) throws Exception {
    this.broker = broker;
    this.receiver = receiver;
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(ordersTopic, PARTITIONS, (short) 1),
                  new NewTopic(batchesTopic, PARTITIONS, (short) 1)))
          .all()
          .get();
    }
  }

  /**
   * @param ordersPerWindow orders per window, all keys together, sent at an even rate
   * @param warmupWindows windows produced first and not measured
   * @param measuredWindows windows measured; one more follows them, closed by the idle close
   */
  Result run(
      int ordersPerWindow,
      int keys,
      long windowMs,
      long graceMs,
      int warmupWindows,
      int measuredWindows)
      throws Exception {
    receiver.reset();
    long waitedBefore = BatchTracer.exportWaitNanos();
    BatchConfig config = config(windowMs, graceMs);
    List<Seen> seen = new ArrayList<>();
    AtomicLong ordersSeen = new AtomicLong();
    int windows = warmupWindows + measuredWindows + 1;
    long total = (long) ordersPerWindow * windows;
    List<Long> latencies = new ArrayList<>();
    StreamsRunner runner =
        StreamsRunner.start(
            config,
            Variants.exportingSdk(config.linksPerSpan(), receiver.endpoint()),
            new TopicSettings(true, PARTITIONS, (short) -1),
            Duration.ofSeconds(30));
    try {
      awaitRunning(runner);
      Thread reader = new Thread(() -> read(seen, ordersSeen, total), "bench-latency-reader");
      reader.start();
      long firstWindowStart = (System.currentTimeMillis() / windowMs + 1) * windowMs;
      produce(ordersPerWindow, keys, windowMs, firstWindowStart, windows);
      reader.join(Duration.ofMinutes(5).toMillis());
      if (ordersSeen.get() < total) {
        reader.interrupt();
        throw new IllegalStateException(
            "Only " + ordersSeen.get() + " of " + total + " orders came out in batches");
      }
      long firstMeasuredEnd = firstWindowStart + (warmupWindows + 1) * windowMs;
      long lastMeasuredEnd = firstWindowStart + (warmupWindows + measuredWindows) * windowMs;
      synchronized (seen) {
        for (Seen batch : seen) {
          if (batch.windowEndMs() >= firstMeasuredEnd && batch.windowEndMs() <= lastMeasuredEnd) {
            latencies.add(batch.readAtMs() - (batch.windowEndMs() + graceMs));
          }
        }
      }
    } finally {
      runner.close(); // Kafka Streams, then the SDK: anything exported late is counted too
    }
    latencies.sort(null);
    long waited = BatchTracer.exportWaitNanos() - waitedBefore;
    OtlpLinkReceiver.Counts counts = receiver.counts();
    counts.requireEachLinkedOnce(total);
    return new Result(total, List.copyOf(latencies), counts, waited);
  }

  private BatchConfig config(long windowMs, long graceMs) throws java.io.IOException {
    String id = "bench-latency-" + suffix;
    Map<String, Object> settings = new HashMap<>();
    settings.put("application.id", id);
    settings.put("bootstrap.servers", broker.bootstrapServers());
    settings.put("processing.guarantee", "exactly_once_v2");
    settings.put("state.dir", Files.createTempDirectory("spanlinks-bench-latency-").toString());
    settings.put("auto.offset.reset", "earliest");
    settings.put(BatchConfig.ORDERS_TOPIC_CONFIG, ordersTopic);
    settings.put(BatchConfig.BATCHES_TOPIC_CONFIG, batchesTopic);
    settings.put(BatchConfig.LATE_TOPIC_CONFIG, "latency-late-" + suffix);
    settings.put("errors.dead.letter.queue.topic.name", "latency-dlq-" + suffix);
    settings.put(BatchConfig.WINDOW_SIZE_MS_CONFIG, windowMs);
    settings.put(BatchConfig.WINDOW_GRACE_MS_CONFIG, graceMs);
    // Closes the last window, after the producer stops, so every order can be checked.
    settings.put(BatchConfig.IDLE_CLOSE_MS_CONFIG, 2_000L);
    return new BatchConfig(settings);
  }

  private static void awaitRunning(StreamsRunner runner) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (runner.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("spanlinks did not reach RUNNING: " + runner.state());
      }
      Thread.sleep(10);
    }
  }

  /** Sends {@code windows} windows of orders at an even rate, each with event time = now. */
  private void produce(int ordersPerWindow, int keys, long windowMs, long startMs, int windows) {
    double intervalNanos = windowMs * 1_000_000.0 / ordersPerWindow;
    long startNanos = System.nanoTime() + (startMs - System.currentTimeMillis()) * 1_000_000L;
    try (InputProducer producer = new InputProducer(broker.bootstrapServers(), ordersTopic, 5)) {
      long total = (long) ordersPerWindow * windows;
      for (int i = 0; i < total; i++) {
        long due = startNanos + (long) (i * intervalNanos);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        TestRecord<String, byte[]> order =
            Inputs.order(i, "key-" + (i % keys), System.currentTimeMillis());
        producer.send(order);
      }
    }
  }

  private void read(List<Seen> seen, AtomicLong ordersSeen, long total) {
    try (KafkaConsumer<String, OrderBatch> consumer =
        new KafkaConsumer<>(
            Map.of(
                "bootstrap.servers",
                broker.bootstrapServers(),
                "isolation.level",
                "read_committed"),
            new StringDeserializer(),
            OrderSerdes.orderBatchDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        partitions.add(new TopicPartition(batchesTopic, p));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
      while (ordersSeen.get() < total
          && System.nanoTime() < deadline
          && !Thread.currentThread().isInterrupted()) {
        for (ConsumerRecord<String, OrderBatch> record : consumer.poll(Duration.ofMillis(5))) {
          long readAt = System.currentTimeMillis();
          OrderBatch batch = record.value();
          synchronized (seen) {
            seen.add(new Seen(batch.windowEnd().toEpochMilli(), batch.orderCount(), readAt));
          }
          ordersSeen.addAndGet(batch.orderCount());
        }
      }
    }
  }
}
