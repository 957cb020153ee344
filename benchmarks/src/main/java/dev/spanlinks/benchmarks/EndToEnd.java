package dev.spanlinks.benchmarks;

import dev.spanlinks.demo.EmbeddedKafka;
import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.app.StreamsRunner;
import dev.spanlinks.streams.app.TopicSettings;
import dev.spanlinks.streams.model.OrderBatch;
import dev.spanlinks.streams.model.OrderSerdes;
import dev.spanlinks.streams.trace.internals.BatchTracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
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
   */
  record Run(
      long startupNanos,
      long processingNanos,
      long runningNanos,
      long batches,
      long orders,
      OtlpLinkReceiver.Counts otlp,
      long exportWaitNanos,
      long receiverCpuNanos) {}

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
    this.broker = broker;
    this.receiver = receiver;
    this.orders = orders;
    // Created and awaited before the first send: a topic auto-created by the producer's first
    // metadata request once answered NOT_LEADER to the first batch while later ones were appended,
    // and the idempotent producer then retried out of order forever. No time retention: the
    // orders carry event times of the past.
    createTopic(topic, Map.of("retention.ms", "-1"));
    List<TestRecord<String, byte[]>> input =
        Inputs.ordersClosedPerPartition(orders, keysPerHour, hours, PARTITIONS);
    this.inputRecords = input.size();
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", broker.bootstrapServers(), "linger.ms", 20),
            new StringSerializer(),
            new ByteArraySerializer())) {
      for (TestRecord<String, byte[]> record : input) {
        producer.send(
            new ProducerRecord<>(
                topic, null, record.timestamp(), record.key(), record.value(), record.headers()));
      }
      producer.flush();
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
  Run dslCount() throws Exception {
    String id = "bench-count-" + UUID.randomUUID().toString().substring(0, 6);
    String out = Variants.OUT + "-" + id;
    Properties props = streamsProps(id);
    return timed(
        id,
        out,
        new LongDeserializer(),
        count -> count,
        () -> {
          KafkaStreams streams = new KafkaStreams(Variants.dslCount(topic, out), props);
          streams.start();
          return new Started() {
            @Override
            public KafkaStreams.State state() {
              return streams.state();
            }

            @Override
            public void close() {
              streams.close(Duration.ofSeconds(30));
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
  Run spanlinks(boolean repartitionByKey) throws Exception {
    String id = "bench-ours-" + UUID.randomUUID().toString().substring(0, 6);
    Map<String, Object> settings = new HashMap<>();
    streamsProps(id).forEach((k, v) -> settings.put(k.toString(), v));
    settings.put(BatchConfig.ORDERS_TOPIC_CONFIG, topic);
    settings.put(BatchConfig.BATCHES_TOPIC_CONFIG, "batches-" + id);
    settings.put(BatchConfig.LATE_TOPIC_CONFIG, "late-" + id);
    settings.put("errors.dead.letter.queue.topic.name", "dlq-" + id);
    settings.put(BatchConfig.REPARTITION_BY_KEY_CONFIG, repartitionByKey);
    BatchConfig config = new BatchConfig(settings);
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
              OpenTelemetrySdk sdk =
                  Variants.exportingSdk(config.linksPerSpan(), receiver.endpoint());
              StreamsRunner runner =
                  StreamsRunner.start(
                      config,
                      sdk,
                      new TopicSettings(true, PARTITIONS, (short) -1),
                      Duration.ofSeconds(30));
              return new Started() {
                @Override
                public KafkaStreams.State state() {
                  return runner.state();
                }

                @Override
                public void close() {
                  runner.close(); // closes the SDK too, after Kafka Streams
                }
              };
            });
    long waited = BatchTracer.exportWaitNanos() - waitedBefore;
    long receiverCpu = receiver.cpuNanos() - receiverCpuBefore;
    OtlpLinkReceiver.Counts counts = receiver.counts();
    counts.requireEachLinkedOnce(orders);
    return new Run(
        run.startupNanos(),
        run.processingNanos(),
        run.runningNanos(),
        run.batches(),
        run.orders(),
        counts,
        waited,
        receiverCpu);
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
    try (KafkaConsumer<String, V> consumer = consumer(outTopic, values)) {
      FirstRecordsClock.reset();
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
        watcher.interrupt();
        watcher.join();
        long running = runningAt.get() == 0 ? end : runningAt.get();
        long firstRecords = FirstRecordsClock.firstRecordsNanos();
        if (firstRecords == 0) {
          throw new IllegalStateException(
              "No first records noted: is " + FirstRecordsClock.CONFIG + " set?");
        }
        return new Run(
            firstRecords - start, end - firstRecords, running - start, batches, seen, null, 0, 0);
      }
    }
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
      for (int p = 0; p < PARTITIONS; p++) {
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
          admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
      for (int p = 0; p < PARTITIONS; p++) {
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
          .createTopics(List.of(new NewTopic(name, PARTITIONS, (short) 1).configs(configs)))
          .all()
          .get();
    }
  }

  private Properties streamsProps(String applicationId) throws IOException {
    Path state = Files.createTempDirectory("spanlinks-bench-e2e-");
    Properties props = new Properties();
    props.put("application.id", applicationId);
    props.put("bootstrap.servers", broker.bootstrapServers());
    props.put("processing.guarantee", "exactly_once_v2");
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
    List<TopicPartition> partitions =
        consumer.partitionsFor(name, Duration.ofSeconds(10)).stream()
            .map(info -> new TopicPartition(name, info.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }
}
