package dev.spanlinks.streams;

import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaClientSupplier;

/**
 * Kafka Streams' own clients, except the producer ({@link CheckedWritesProducer}): it waits for the
 * stream thread's batch spans to be exported before every flush, and so before every commit ({@link
 * dev.spanlinks.streams.trace.internals.SpansBeforeCommit}), and it does not send a record the
 * broker would refuse, which then goes to the dead-letter topic. {@link
 * BatchConfig#streamsProperties()} sets it as {@code default.client.supplier} unless the user chose
 * one; with another supplier, every window close waits for its spans itself (slower, and as safe),
 * and a write the broker refuses under exactly-once aborts the transaction on every retry.
 */
public final class SpansBeforeCommitClientSupplier implements KafkaClientSupplier {
  /** Kafka Streams creates the supplier from its class name ({@code default.client.supplier}). */
  public SpansBeforeCommitClientSupplier() {}

  @Override
  public Admin getAdmin(Map<String, Object> config) {
    return Admin.create(config);
  }

  @Override
  public Producer<byte[], byte[]> getProducer(Map<String, Object> config) {
    return new CheckedWritesProducer(config);
  }

  @Override
  public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
    return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @Override
  public Consumer<byte[], byte[]> getRestoreConsumer(Map<String, Object> config) {
    return getConsumer(config);
  }

  @Override
  public Consumer<byte[], byte[]> getGlobalConsumer(Map<String, Object> config) {
    return getConsumer(config);
  }
}
