package dev.spanlinks.app.replay;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Copies a range of a topic to a replay file ({@link RecordLineCodec}), committed records only.
 *
 * <p>It reads up to the end offsets it sees when it starts (with {@code read_committed}, the last
 * stable offsets), so it ends on a live topic too. A time range selects on record timestamps, which
 * need not grow with offsets: every record up to the end offsets is looked at, and only those in
 * range are written. It uses no consumer group and commits nothing.
 */
public final class TopicExport {
  /**
   * What to export; every bound may be null for "no bound".
   *
   * @param from first record timestamp to include
   * @param to record timestamps from here on are left out
   * @param fromOffset first offset to include, in every selected partition
   * @param toOffset offsets from here on are left out
   * @param partitions the partitions to read; empty for all
   */
  public record Range(
      Instant from, Instant to, Long fromOffset, Long toOffset, List<Integer> partitions) {
    public Range {
      partitions = List.copyOf(partitions);
    }

    public static final Range ALL = new Range(null, null, null, null, List.of());
  }

  /** What was written. */
  public record Result(long records, int partitions) {}

  private TopicExport() {}

  /**
   * @param clientSettings consumer settings (bootstrap servers, security, ...); keys a consumer
   *     does not know are dropped; {@code isolation.level} defaults to {@code read_committed}
   * @param stallTimeout how long a partition may go without progress before giving up
   */
  public static Result run(
      Map<String, Object> clientSettings,
      String topic,
      Range range,
      Path out,
      Progress progress,
      Duration stallTimeout)
      throws IOException {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    settings.putAll(clientSettings);
    settings.keySet().retainAll(ConsumerConfig.configNames());
    settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    settings.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) stallTimeout.toMillis());
    try (KafkaConsumer<byte[], byte[]> consumer =
            new KafkaConsumer<>(
                settings, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        RecordFile.Writer writer = RecordFile.create(out)) {
      Map<TopicPartition, Long> ends = new HashMap<>();
      Map<TopicPartition, Long> starts = startAndEndOffsets(consumer, topic, range, ends);
      progress.total(
          starts.entrySet().stream().mapToLong(e -> ends.get(e.getKey()) - e.getValue()).sum());
      consumer.assign(starts.keySet());
      starts.forEach(consumer::seek);
      List<TopicPartition> open = new ArrayList<>(starts.keySet());
      long written = 0;
      long lastProgressNanos = System.nanoTime();
      while (!open.isEmpty()) {
        long before = written;
        long seen = 0;
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          TopicPartition partition = new TopicPartition(record.topic(), record.partition());
          if (record.offset() >= ends.get(partition)) {
            continue;
          }
          seen++;
          if (inTimeRange(record.timestamp(), range)) {
            writer.write(toLine(record));
            written++;
          }
        }
        progress.advance(seen);
        if (open.removeIf(partition -> consumer.position(partition) >= ends.get(partition))) {
          consumer.assign(open);
        }
        if (written > before || seen > 0) {
          lastProgressNanos = System.nanoTime();
        } else if (System.nanoTime() - lastProgressNanos > stallTimeout.toNanos()) {
          throw new ReplayException(
              "No records from " + open + " for " + stallTimeout.toSeconds() + " s; gave up");
        }
      }
      return new Result(written, starts.size());
    } catch (KafkaException e) {
      throw new ReplayException("Kafka refused the export of " + topic + ": " + e.getMessage(), e);
    }
  }

  private static Map<TopicPartition, Long> startAndEndOffsets(
      KafkaConsumer<byte[], byte[]> consumer,
      String topic,
      Range range,
      Map<TopicPartition, Long> ends) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic);
    if (infos == null || infos.isEmpty()) {
      throw new ReplayException("Topic not found: " + topic);
    }
    List<TopicPartition> partitions = new ArrayList<>();
    for (PartitionInfo info : infos) {
      if (range.partitions().isEmpty() || range.partitions().contains(info.partition())) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
    }
    if (partitions.isEmpty()) {
      throw new ReplayException(
          "Topic " + topic + " has none of the partitions " + range.partitions());
    }
    Map<TopicPartition, Long> starts = new HashMap<>(consumer.beginningOffsets(partitions));
    ends.putAll(consumer.endOffsets(partitions));
    if (range.from() != null) {
      Map<TopicPartition, Long> times = new HashMap<>();
      partitions.forEach(p -> times.put(p, range.from().toEpochMilli()));
      for (Map.Entry<TopicPartition, OffsetAndTimestamp> found :
          consumer.offsetsForTimes(times).entrySet()) {
        long offset =
            found.getValue() == null ? ends.get(found.getKey()) : found.getValue().offset();
        starts.merge(found.getKey(), offset, Math::max);
      }
    }
    if (range.fromOffset() != null) {
      starts.replaceAll((partition, start) -> Math.max(start, range.fromOffset()));
    }
    if (range.toOffset() != null) {
      ends.replaceAll((partition, end) -> Math.min(end, range.toOffset()));
    }
    starts.entrySet().removeIf(start -> start.getValue() >= ends.get(start.getKey()));
    return starts;
  }

  private static boolean inTimeRange(long timestampMs, Range range) {
    return (range.from() == null || timestampMs >= range.from().toEpochMilli())
        && (range.to() == null || timestampMs < range.to().toEpochMilli());
  }

  private static RecordLine toLine(ConsumerRecord<byte[], byte[]> record) {
    List<RecordLine.Header> headers = new ArrayList<>();
    for (Header header : record.headers()) {
      headers.add(new RecordLine.Header(header.key(), header.value()));
    }
    return new RecordLine(
        record.topic(),
        record.partition(),
        record.offset(),
        record.timestamp(),
        record.key(),
        record.value(),
        headers);
  }
}
