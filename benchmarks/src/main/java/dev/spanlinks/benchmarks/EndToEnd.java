package dev.spanlinks.benchmarks;

import dev.spanlinks.app.StreamsRunner;
import dev.spanlinks.app.TopicSettings;
import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.app.orders.OrderSerdes;
import dev.spanlinks.demo.EmbeddedKafka;
import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.trace.internals.BatchTracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToLongFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.test.TestRecord;

/**
 * End to end on a real (embedded) broker: the same pre-produced orders read by spanlinks, by the
 * untraced DSL count, and by a plain consumer (the ceiling). spanlinks runs with the shipped,
 * autoconfigured SDK exporting OTLP/HTTP to {@link OtlpLinkReceiver} in another JVM, and each of
 * its runs fails unless every traced order was linked exactly once.
 *
 * <p>Every variant is timed by the same rule: start-up from just before Kafka Streams is created
 * until its main consumer first hands it records ({@link FirstRecordsClock}), processing from then
 * until a consumer (read_committed) has read the output of every order. When the state was first
 * RUNNING is noted too (the earlier rounds' start of processing). Closing Kafka Streams is outside
 * the clock for all.
 */
final class EndToEnd {
  static final int PARTITIONS = 3;
  private final int partitions;
  private static final LongDeserializer LONGS = new LongDeserializer();

  /**
   * One timed run.
   *
   * @param otlp what the receiver took (spanlinks only, else null)
   * @param startupNanos from just before Kafka Streams was created until it first took records
   * @param processingNanos from then until every order's output was read
   * @param runningNanos from just before Kafka Streams was created until it was first RUNNING
   * @param exportWaitNanos the stream thread's time blocked on the exporter (spanlinks only)
   * @param receiverCpuNanos the CPU time the receiver's JVM spent in the run (spanlinks only): CPU
   *     a collector elsewhere would spend, taken here from the same two cores
   * @param middleRecordsPerSecond input records a second over the middle of the run ({@link
   *     FirstRecordsClock#middleRecordsPerSecond})
   * @param app CPU and allocation of the application's own threads ({@link AppCosts})
   * @param changelogBytes bytes its changelog topics hold on the broker after the run
   * @param peakHeapBytes the heap after a collection at its peak above the idle JVM ({@link
   *     HeapAfterGc}); -1 when no collection ran
   */
  record Run(
      long startupNanos,
      long processingNanos,
      long runningNanos,
      long batches,
      long orders,
      OtlpLinkReceiver.Counts otlp,
      long exportWaitNanos,
      long receiverCpuNanos,
      double middleRecordsPerSecond,
      AppCosts.Threads app,
      long changelogBytes,
      long peakHeapBytes) {
    Run withExport(OtlpLinkReceiver.Counts otlp, long exportWaitNanos, long receiverCpuNanos) {
      return new Run(
          startupNanos,
          processingNanos,
          runningNanos,
          batches,
          orders,
          otlp,
          exportWaitNanos,
          receiverCpuNanos,
          middleRecordsPerSecond,
          app,
          changelogBytes,
          peakHeapBytes);
    }
  }

  /** A started application: its state, and how to stop it. */
  private interface Started extends AutoCloseable {
    KafkaStreams.State state();

    @Override
    void close();
  }

  private interface Starter {
    Started start() throws Exception;
  }

  private final EmbeddedKafka broker;
  private final OtlpLinkReceiver receiver;
  private final String topic = "bench-orders-" + UUID.randomUUID().toString().substring(0, 6);
  private final int orders;
  private final int inputRecords;

  /** Produces the input: {@code orders} over {@code hours} hours, {@code keysPerHour} keys. */
  EndToEnd(EmbeddedKafka broker, OtlpLinkReceiver receiver, int orders, int keysPerHour, int hours)
      throws InterruptedException, ExecutionException {
    this(broker, receiver, orders, keysPerHour, hours, PARTITIONS);
  }

  /** As above, on an input topic of {@code partitions} partitions. */
  EndToEnd(
      EmbeddedKafka broker,
      OtlpLinkReceiver receiver,
      int orders,
      int keysPerHour,
      int hours,
      int partitions)
      throws InterruptedException, ExecutionException {
    this.broker = broker;
    this.partitions = partitions;
    this.receiver = receiver;
    this.orders = orders;
    // Created before the first send, not by the producer's first metadata request; the producer
    // keeps one request in flight (InputProducer says why). No time retention: the orders carry
    // event times of the past.
    createTopic(topic, Map.of("retention.ms", "-1"));
    List<TestRecord<String, byte[]>> input =
        Inputs.ordersClosedPerPartition(orders, keysPerHour, hours, partitions);
    this.inputRecords = input.size();
    try (InputProducer producer = new InputProducer(broker.bootstrapServers(), topic, 20)) {
      for (TestRecord<String, byte[]> record : input) {
        producer.send(record);
      }
    }
  }

  /** The ceiling: one consumer reading every record. */
  long plainConsumerNanos() {
    long start = System.nanoTime();
    try (KafkaConsumer<String, byte[]> consumer = consumer(topic, new ByteArrayDeserializer())) {
      long read = 0;
      while (read < inputRecords) {
        read += consumer.poll(Duration.ofMillis(200)).count();
      }
    }
    return System.nanoTime() - start;
  }

  /** The untraced baseline. Its output weighs each (key, window) by its count. */
  Run dslCount(StreamsSettings settings) throws Exception {
    return kafkaStreams(
        "bench-count-", settings, Variants::dslCount, count -> LONGS.deserialize(null, count));
  }

  /**
   * The exactly-once ceiling: each record read and written to a topic, nothing else. What any
   * exactly-once Kafka Streams application pays here, with the same settings. Its output weighs one
   * order a record, except the few records that only close windows, which weigh nothing: they come
   * last on their partition, but another partition's last orders may come in the same poll, and
   * counting them made the run report more orders than it was given.
   */
  Run passThrough(StreamsSettings settings) throws Exception {
    return kafkaStreams(
        "bench-pass-", settings, Variants::passThrough, value -> isCloser(value) ? 0 : 1);
  }

  /** Whether {@code value} is one of the orders that close the windows ({@link Inputs}). */
  private boolean isCloser(byte[] value) {
    return Inputs.orderNumber(value) >= orders;
  }

  private interface TopologyOf {
    org.apache.kafka.streams.Topology build(String inputTopic, String outputTopic);
  }

  private Run kafkaStreams(
      String prefix, StreamsSettings settings, TopologyOf topology, ToLongFunction<byte[]> weight)
      throws Exception {
    String id = prefix + UUID.randomUUID().toString().substring(0, 6);
    String out = Variants.OUT + "-" + id;
    return timed(
        id,
        out,
        new ByteArrayDeserializer(),
        weight,
        () -> {
          List<KafkaStreams> instances = new ArrayList<>();
          for (int i = 0; i < settings.instances(); i++) {
            KafkaStreams streams =
                new KafkaStreams(topology.build(topic, out), streamsProps(id, settings));
            streams.start();
            instances.add(streams);
          }
          return new Started() {
            @Override
            public KafkaStreams.State state() {
              return leastAdvanced(instances.stream().map(KafkaStreams::state).toList());
            }

            @Override
            public void close() {
              awaitNoRebalance(instances, id);
              for (KafkaStreams streams : instances) {
                if (!streams.close(Duration.ofSeconds(30))) {
                  throw new IllegalStateException(
                      "Kafka Streams of " + id + " did not close within 30 s: " + liveThreads(id));
                }
              }
            }
          };
        });
  }

  /**
   * spanlinks with the shipped SDK, exporting to the receiver.
   *
   * @param repartitionByKey with {@code spanlinks.repartition.by.key}: every order written and read
   *     once more, through the repartition topic
   */
  Run spanlinks(boolean repartitionByKey, StreamsSettings streamsSettings) throws Exception {
    String id = "bench-ours-" + UUID.randomUUID().toString().substring(0, 6);
    List<BatchConfig> configs = new ArrayList<>();
    for (int i = 0; i < streamsSettings.instances(); i++) {
      Map<String, Object> settings = new HashMap<>();
      streamsProps(id, streamsSettings).forEach((k, v) -> settings.put(k.toString(), v));
      settings.put(BatchConfig.ORDERS_TOPIC_CONFIG, topic);
      settings.put(BatchConfig.BATCHES_TOPIC_CONFIG, "batches-" + id);
      settings.put(BatchConfig.LATE_TOPIC_CONFIG, "late-" + id);
      settings.put("errors.dead.letter.queue.topic.name", "dlq-" + id);
      settings.put(BatchConfig.REPARTITION_BY_KEY_CONFIG, repartitionByKey);
      configs.add(new BatchConfig(settings));
    }
    receiver.reset();
    long waitedBefore = BatchTracer.exportWaitNanos();
    long receiverCpuBefore = receiver.cpuNanos();
    Run run =
        timed(
            id,
            "batches-" + id,
            OrderSerdes.orderBatchDeserializer(),
            OrderBatch::orderCount,
            () -> {
              List<StreamsRunner> runners = new ArrayList<>();
              for (BatchConfig config : configs) {
                OpenTelemetrySdk sdk =
                    Variants.exportingSdk(config.linksPerSpan(), receiver.endpoint());
                runners.add(
                    StreamsRunner.start(
                        config,
                        sdk,
                        new TopicSettings(true, partitions, (short) -1),
                        Duration.ofSeconds(30)));
              }
              return new Started() {
                @Override
                public KafkaStreams.State state() {
                  return leastAdvanced(runners.stream().map(StreamsRunner::state).toList());
                }

                @Override
                public void close() {
                  runners.forEach(StreamsRunner::close); // each closes its SDK, after Kafka Streams
                }
              };
            });
    long waited = BatchTracer.exportWaitNanos() - waitedBefore;
    long receiverCpu = receiver.cpuNanos() - receiverCpuBefore;
    OtlpLinkReceiver.Counts counts = receiver.counts();
    counts.requireEachLinkedOnce(orders);
    return run.withExport(counts, waited, receiverCpu);
  }

  /**
   * A run whose output has not grown for this long fails, saying how far it got: a run that cannot
   * complete must not hold a build for minutes.
   */
  static final Duration STALL = Duration.ofSeconds(60);

  private <V> Run timed(
      String applicationId,
      String outTopic,
      Deserializer<V> values,
      ToLongFunction<V> weight,
      Starter starter)
      throws Exception {
    createTopic(outTopic, Map.of());
    requireNoStreamThreadLeft();
    try (KafkaConsumer<String, V> consumer = consumer(outTopic, values)) {
      FirstRecordsClock.reset(topic, inputRecords);
      HeapAfterGc heap = HeapAfterGc.beforeStart();
      AppCosts costs = AppCosts.beforeStart();
      long start = System.nanoTime();
      try (Started app = starter.start()) {
        AtomicLong runningAt = new AtomicLong();
        Thread watcher = watchRunning(app, runningAt);
        long batches = 0;
        long seen = 0;
        long lastOutput = start;
        while (seen < orders) {
          if (System.nanoTime() - lastOutput > STALL.toNanos()) {
            throw new IllegalStateException(
                stallReport(applicationId, outTopic, app.state(), batches, seen));
          }
          for (ConsumerRecord<String, V> record : consumer.poll(Duration.ofMillis(20))) {
            batches++;
            seen += weight.applyAsLong(record.value());
            lastOutput = System.nanoTime();
          }
        }
        long end = System.nanoTime();
        AppCosts.Threads threads = costs.threadsSinceStart();
        long peakHeap = heap.peakAboveIdleBytes();
        double middle = FirstRecordsClock.middleRecordsPerSecond();
        watcher.interrupt();
        watcher.join();
        long running = runningAt.get() == 0 ? end : runningAt.get();
        long firstRecords = FirstRecordsClock.firstRecordsNanos();
        if (firstRecords == 0) {
          throw new IllegalStateException(
              "No first records noted: is " + FirstRecordsClock.CONFIG + " set?");
        }
        long changelogBytes;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
          changelogBytes = AppCosts.changelogBytes(admin, applicationId);
        }
        return new Run(
            firstRecords - start,
            end - firstRecords,
            running - start,
            batches,
            seen,
            null,
            0,
            0,
            middle,
            threads,
            changelogBytes,
            peakHeap);
      }
    }
  }

  /**
   * Waits, up to 30 s, until no instance is rebalancing. A stream thread asked to shut down while a
   * rebalance is in progress keeps polling until it completes; twice in this session's round a
   * pass-through (done in about a second, while its group was still settling after the start of
   * several threads or instances) then polled without pause and never closed. Outside the clock.
   */
  private static void awaitNoRebalance(List<KafkaStreams> instances, String id) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (instances.stream().anyMatch(s -> s.state() == KafkaStreams.State.REBALANCING)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(id + " was still rebalancing 30 s after its run");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Fails when a stream thread of an earlier run is still alive. One was, once: a pass-through
   * instance whose stream thread polled without pause from its start (a whole core), never stopped
   * by its close, took a core from every later run of the session until the JVM was killed.
   */
  private static void requireNoStreamThreadLeft() throws InterruptedException {
    long deadline = System.nanoTime() + STALL.toNanos() / 6;
    String left = liveThreads("");
    while (!left.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(200); // a closed instance's threads may take a moment to end
      left = liveThreads("");
    }
    if (!left.isEmpty()) {
      throw new IllegalStateException(
          "Stream threads of an earlier run are still alive; they would take CPU from this run: "
              + left);
    }
  }

  /** Names and CPU seconds of the live stream threads whose name starts with {@code prefix}. */
  private static String liveThreads(String prefix) {
    var threads = java.lang.management.ManagementFactory.getThreadMXBean();
    StringBuilder live = new StringBuilder();
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (thread.isAlive()
          && thread.getName().startsWith(prefix)
          && thread.getName().contains("-StreamThread-")) {
        live.append(
            String.format(
                Locale.ROOT,
                "%s%s (%.1f s CPU)",
                live.length() == 0 ? "" : ", ",
                thread.getName(),
                threads.getThreadCpuTime(thread.getId()) / 1e9));
      }
    }
    return live.toString();
  }

  /**
   * Why a run stalled, as far as the broker can tell: how much output came, the application's
   * state, and how far its consumer group committed on each input partition (all input committed
   * and output missing: windows that never closed; input left: processing that stopped).
   */
  private String stallReport(
      String applicationId, String outTopic, KafkaStreams.State state, long batches, long seen) {
    StringBuilder report =
        new StringBuilder()
            .append("No output in ")
            .append(outTopic)
            .append(" for ")
            .append(STALL.toSeconds())
            .append(" s: ")
            .append(seen)
            .append(" of ")
            .append(orders)
            .append(" orders in ")
            .append(batches)
            .append(" output records; application ")
            .append(applicationId)
            .append(" is ")
            .append(state)
            .append("; input committed/end by partition:");
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin
              .listConsumerGroupOffsets(applicationId)
              .partitionsToOffsetAndMetadata()
              .get(10, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < partitions; p++) {
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
          admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
      for (int p = 0; p < partitions; p++) {
        TopicPartition partition = new TopicPartition(topic, p);
        OffsetAndMetadata at = committed.get(partition);
        report
            .append(' ')
            .append(p)
            .append('=')
            .append(at == null ? "none" : Long.toString(at.offset()))
            .append('/')
            .append(ends.get(partition).offset());
      }
    } catch (Exception e) {
      report.append(" unknown (").append(e).append(')');
    }
    return report.toString();
  }

  /** The state of an application of several instances: RUNNING once every one of them is. */
  private static KafkaStreams.State leastAdvanced(List<KafkaStreams.State> states) {
    return states.stream()
        .filter(state -> state != KafkaStreams.State.RUNNING)
        .findFirst()
        .orElse(KafkaStreams.State.RUNNING);
  }

  /** Notes when the application is first RUNNING; polls its state every millisecond. */
  private static Thread watchRunning(Started app, AtomicLong runningAt) {
    Thread watcher =
        new Thread(
            () -> {
              try {
                while (app.state() != KafkaStreams.State.RUNNING) {
                  Thread.sleep(1);
                }
                runningAt.set(System.nanoTime());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "bench-running-watch");
    watcher.setDaemon(true);
    watcher.start();
    return watcher;
  }

  private void createTopic(String name, Map<String, String> configs)
      throws InterruptedException, ExecutionException {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin
          .createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
          .all()
          .get();
    }
  }

  private Properties streamsProps(String applicationId, StreamsSettings settings)
      throws IOException {
    Path state = Files.createTempDirectory("spanlinks-bench-e2e-");
    Properties props = new Properties();
    props.put("application.id", applicationId);
    props.put("bootstrap.servers", broker.bootstrapServers());
    settings.applyTo(props);
    props.put("state.dir", state.toString());
    props.put("auto.offset.reset", "earliest");
    props.put(Variants.DSL_EMIT_INTERVAL, 0L);
    props.put(FirstRecordsClock.CONFIG, FirstRecordsClock.class.getName());
    return props;
  }

  private <V> KafkaConsumer<String, V> consumer(String name, Deserializer<V> values) {
    KafkaConsumer<String, V> consumer =
        new KafkaConsumer<>(
            Map.of(
                "bootstrap.servers",
                broker.bootstrapServers(),
                "isolation.level",
                "read_committed"),
            new StringDeserializer(),
            values);
    // A topic created a moment ago can still be unknown to this client's first metadata, which
    // then lists no partitions: assigning none left the consumer unsubscribed, and its first poll
    // failed the run ("Consumer is not subscribed to any topics"). Ask again until it knows them.
    List<TopicPartition> partitions = List.of();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (partitions.isEmpty()) {
      if (System.nanoTime() > deadline) {
        consumer.close();
        throw new IllegalStateException("Topic " + name + " has no partitions after 30 s");
      }
      partitions =
          consumer.partitionsFor(name, Duration.ofSeconds(10)).stream()
              .map(info -> new TopicPartition(name, info.partition()))
              .toList();
      if (partitions.isEmpty()) {
        LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
      }
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }
}
