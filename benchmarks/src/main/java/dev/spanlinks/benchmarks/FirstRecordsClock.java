package dev.spanlinks.benchmarks;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Notes when a stream thread's main consumer first hands records to Kafka Streams: where each
 * variant's processing starts, by the same rule for both. Set as {@code
 * main.consumer.interceptor.classes}, so the variants' own code is untouched.
 *
 * <p>The first clock started processing when Kafka Streams first reported {@code RUNNING}; but a
 * stream thread processes the tasks it has ready before that (JFR: {@code StreamTask.process}
 * samples before the state change), for about a second in the count's runs, so part of each
 * variant's processing was left off its clock, and not the same part. One run at a time in this
 * JVM: {@link #reset()} before each.
 */
public final class FirstRecordsClock implements ConsumerInterceptor<byte[], byte[]> {
  static final String CONFIG = "main.consumer.interceptor.classes";
  private static final AtomicLong firstRecordsNanos = new AtomicLong();

  /** Forgets the previous run's first records. */
  static void reset() {
    firstRecordsNanos.set(0);
  }

  /** {@link System#nanoTime()} when records were first consumed since {@link #reset()}, or 0. */
  static long firstRecordsNanos() {
    return firstRecordsNanos.get();
  }

  @Override
  public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
    if (!records.isEmpty() && firstRecordsNanos.get() == 0) {
      firstRecordsNanos.compareAndSet(0, System.nanoTime());
    }
    return records;
  }

  @Override
  public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {}

  @Override
  public void close() {}

  @Override
  public void configure(Map<String, ?> configs) {}
}
