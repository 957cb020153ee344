package dev.spanlinks.benchmarks;

import dev.spanlinks.demo.EmbeddedKafka;
import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.app.StreamsRunner;
import dev.spanlinks.streams.app.TopicSettings;
import dev.spanlinks.streams.model.OrderBatch;
import dev.spanlinks.streams.model.OrderSerdes;
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
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
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
 * untraced DSL count, and by a plain consumer (the ceiling), each timed from start until its last
 * output is committed. Every variant runs with exactly_once_v2 where it applies.
 */
final class EndToEnd implements AutoCloseable {
  private final EmbeddedKafka broker;
  private final String topic = "bench-orders-" + UUID.randomUUID().toString().substring(0, 6);
  private final int orders;

  EndToEnd(int orders) throws IOException, InterruptedException, ExecutionException {
    this.broker = EmbeddedKafka.start(Map.of("num.partitions", "3"));
    this.orders = orders;
    // Created and awaited before the first send: a topic auto-created by the producer's first
    // metadata request once answered NOT_LEADER to the first batch while later ones were appended,
    // and the idempotent producer then retried out of order forever.
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
    }
    List<TestRecord<String, byte[]>> input = Inputs.orders(orders, 3, 6);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", broker.bootstrapServers(), "linger.ms", 20),
            new StringSerializer(),
            new ByteArraySerializer())) {
      for (TestRecord<String, byte[]> record : input) {
        ProducerRecord<String, byte[]> out =
            new ProducerRecord<>(
                topic, null, record.timestamp(), record.key(), record.value(), record.headers());
        producer.send(out);
      }
      producer.flush();
    }
  }

  int inputRecords() {
    return orders + 3;
  }

  /** The ceiling: one consumer reading every record. */
  long plainConsumerNanos() {
    long start = System.nanoTime();
    try (KafkaConsumer<String, byte[]> consumer = consumer(topic, new ByteArrayDeserializer())) {
      long read = 0;
      while (read < inputRecords()) {
        read += consumer.poll(Duration.ofMillis(200)).count();
      }
    }
    return System.nanoTime() - start;
  }

  long dslCountNanos() throws Exception {
    String id = "bench-count-" + UUID.randomUUID().toString().substring(0, 6);
    Properties props = streamsProps(id);
    String out = Variants.OUT;
    long start = System.nanoTime();
    try (KafkaStreams streams = new KafkaStreams(Variants.dslCount(topic, out + "-" + id), props)) {
      streams.start();
      awaitRecords(out + "-" + id, new LongDeserializer(), 18, v -> 1);
    }
    return System.nanoTime() - start;
  }

  long spanlinksNanos() throws Exception {
    return spanlinksNanos(false);
  }

  /**
   * @param repartitionByKey with {@code spanlinks.repartition.by.key}: every order written and read
   *     once more, through the repartition topic
   */
  @SuppressWarnings("try") // the runner only has to run while the output is awaited
  long spanlinksNanos(boolean repartitionByKey) throws Exception {
    String id = "bench-ours-" + UUID.randomUUID().toString().substring(0, 6);
    Map<String, Object> settings = new HashMap<>();
    streamsProps(id).forEach((k, v) -> settings.put(k.toString(), v));
    settings.put(BatchConfig.ORDERS_TOPIC_CONFIG, topic);
    settings.put(BatchConfig.BATCHES_TOPIC_CONFIG, "batches-" + id);
    settings.put(BatchConfig.LATE_TOPIC_CONFIG, "late-" + id);
    settings.put("errors.dead.letter.queue.topic.name", "dlq-" + id);
    settings.put(BatchConfig.REPARTITION_BY_KEY_CONFIG, repartitionByKey);
    BatchConfig config = new BatchConfig(settings);
    long start = System.nanoTime();
    try (OpenTelemetrySdk sdk = Variants.discardingSdk(config.linksPerSpan());
        StreamsRunner runner =
            StreamsRunner.start(
                config, sdk, new TopicSettings(true, 3, (short) -1), Duration.ofSeconds(30))) {
      awaitRecords(
          "batches-" + id, OrderSerdes.orderBatchDeserializer(), orders, OrderBatch::orderCount);
      return System.nanoTime() - start;
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
    return props;
  }

  private <V> void awaitRecords(
      String outTopic,
      Deserializer<V> values,
      long expected,
      java.util.function.ToLongFunction<V> weight)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (System.nanoTime() < deadline) {
      try (KafkaConsumer<String, V> consumer = consumer(outTopic, values)) {
        long seen = 0;
        long quietUntil = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < quietUntil) {
          for (ConsumerRecord<String, V> record : consumer.poll(Duration.ofMillis(100))) {
            seen += weight.applyAsLong(record.value());
          }
          if (seen >= expected) {
            return;
          }
        }
      } catch (org.apache.kafka.common.errors.TimeoutException | IllegalStateException e) {
        Thread.sleep(100); // the output topic does not exist yet
      }
    }
    throw new IllegalStateException("No complete output in " + outTopic);
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
        consumer.partitionsFor(name, Duration.ofSeconds(5)).stream()
            .map(info -> new TopicPartition(name, info.partition()))
            .toList();
    if (partitions.isEmpty()) {
      consumer.close();
      throw new IllegalStateException("no partitions yet for " + name);
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }

  @Override
  public void close() {
    broker.close();
  }
}
