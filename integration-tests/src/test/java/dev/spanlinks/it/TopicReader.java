package dev.spanlinks.it;

import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.app.orders.OrderSerdes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a whole topic from the beginning, committed records only, as a downstream consumer. */
final class TopicReader {
  private TopicReader() {}

  /** The committed batches of an output topic, once at least {@code atLeast} arrived. */
  static List<ConsumerRecord<String, OrderBatch>> batches(
      String bootstrapServers, String topic, int atLeast, Duration timeout) {
    return read(
        bootstrapServers,
        topic,
        new StringDeserializer(),
        OrderSerdes.orderBatchDeserializer(),
        atLeast,
        timeout);
  }

  /**
   * The committed batches of an output topic once they hold at least {@code orders} orders in all;
   * fails after {@code timeout} saying how far they got.
   */
  static List<ConsumerRecord<String, OrderBatch>> awaitBatchedOrders(
      String bootstrapServers, String topic, long orders, Duration timeout) {
    List<ConsumerRecord<String, OrderBatch>> batches = List.of();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      batches = batches(bootstrapServers, topic, batches.size() + 1, Duration.ofSeconds(5));
      if (batches.stream().mapToLong(b -> b.value().orderCount()).sum() >= orders) {
        return batches;
      }
    }
    throw new AssertionError(
        "Batches never held all "
            + orders
            + " orders: "
            + batches.stream().mapToLong(b -> b.value().orderCount()).sum()
            + " in "
            + batches.size()
            + " batches");
  }

  /** Polls until at least {@code atLeast} records arrived (or the time is up), then a bit more. */
  static <K, V> List<ConsumerRecord<K, V>> read(
      String bootstrapServers,
      String topic,
      Deserializer<K> keys,
      Deserializer<V> values,
      int atLeast,
      Duration timeout) {
    List<ConsumerRecord<K, V>> records = new ArrayList<>();
    try (KafkaConsumer<K, V> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed"),
            keys,
            values)) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(info -> new TopicPartition(topic, info.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (records.size() < atLeast && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      consumer.poll(Duration.ofMillis(500)).forEach(records::add);
    }
    return records;
  }
}
