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
 *
 * <p>It also notes when the main consumers have handed over a tenth and nine tenths of the input
 * topic's records: throughput over the middle of the run, start-up and the last close left out.
 */
public final class FirstRecordsClock implements ConsumerInterceptor<byte[], byte[]> {
  static final String CONFIG = "main.consumer.interceptor.classes";
  private static final AtomicLong firstRecordsNanos = new AtomicLong();
  private static final AtomicLong consumed = new AtomicLong();
  private static final AtomicLong tenthNanos = new AtomicLong();
  private static final AtomicLong ninetiethNanos = new AtomicLong();
  private static volatile String inputTopic = "";
  private static volatile long inputRecords;

  /** Forgets the previous run; the next counts the records of {@code topic}, {@code records}. */
  static void reset(String topic, long records) {
    firstRecordsNanos.set(0);
    consumed.set(0);
    tenthNanos.set(0);
    ninetiethNanos.set(0);
    inputTopic = topic;
    inputRecords = records;
  }

  /**
   * Input records a second between the tenth and the ninetieth percent of the input handed over; 0
   * when the run did not get that far.
   */
  static double middleRecordsPerSecond() {
    long from = tenthNanos.get();
    long to = ninetiethNanos.get();
    return from == 0 || to <= from ? 0 : 0.8 * inputRecords / ((to - from) / 1e9);
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
    int input = 0;
    for (var ignored : records.records(inputTopic)) {
      input++;
    }
    if (input > 0) {
      long total = consumed.addAndGet(input);
      if (total >= inputRecords / 10) {
        tenthNanos.compareAndSet(0, System.nanoTime());
      }
      if (total >= inputRecords * 9 / 10) {
        ninetiethNanos.compareAndSet(0, System.nanoTime());
      }
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
