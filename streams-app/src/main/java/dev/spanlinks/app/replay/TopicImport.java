package dev.spanlinks.app.replay;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes a replay file to a topic: keys, values, headers and timestamps as in the file, optionally
 * moved in time ({@link TimeShift}).
 *
 * <p>The whole file is read once before anything is sent, so a malformed line stops the import
 * before the topic holds part of it. Records keep their partition when the topic has enough
 * partitions for every partition in the file; otherwise the producer's partitioner places them by
 * key. Order within a partition is kept (idempotent producer).
 */
public final class TopicImport {
  /** How records were placed. */
  public enum Partitioning {
    /** Each record went to the partition it came from. */
    KEPT,
    /** The producer's partitioner chose, by key. */
    BY_KEY
  }

  /**
   * What was written.
   *
   * @param shiftMs what was added to every time; 0 without a shift
   */
  public record Result(
      long records, Partitioning partitioning, int topicPartitions, long shiftMs) {}

  private TopicImport() {}

  /**
   * @param clientSettings producer and admin settings (bootstrap servers, security, ...); keys they
   *     do not know are dropped
   * @param shiftTo where the earliest event time lands, or null for no shift
   * @param createTopic create the topic when missing, with as many partitions as the file uses
   */
  public static Result run(
      Map<String, Object> clientSettings,
      String topic,
      Path file,
      Instant shiftTo,
      boolean createTopic,
      Progress progress,
      Duration timeout)
      throws IOException {
    FileSummary summary = FileSummary.of(file);
    progress.total(summary.records());
    if (summary.records() == 0) {
      return new Result(0, Partitioning.KEPT, 0, 0);
    }
    TimeShift shift =
        shiftTo == null ? new TimeShift(0) : TimeShift.moving(summary.earliestEventMs(), shiftTo);
    int topicPartitions =
        ensureTopic(clientSettings, topic, summary.maxPartition() + 1, createTopic, timeout);
    Partitioning partitioning =
        summary.allPartitioned() && topicPartitions > summary.maxPartition()
            ? Partitioning.KEPT
            : Partitioning.BY_KEY;

    Map<String, Object> settings = new HashMap<>();
    settings.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    settings.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    settings.putAll(clientSettings);
    settings.keySet().retainAll(ProducerConfig.configNames());
    settings.put(ProducerConfig.ACKS_CONFIG, "all");
    settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    settings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.toMillis());
    AtomicReference<Exception> failure = new AtomicReference<>();
    AtomicLong acknowledged = new AtomicLong();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(settings, new ByteArraySerializer(), new ByteArraySerializer())) {
      RecordFile.forEach(
          file,
          line -> {
            if (failure.get() != null) {
              return;
            }
            RecordLine record = shift.apply(line);
            RecordHeaders headers = new RecordHeaders();
            record.headers().forEach(header -> headers.add(header.key(), header.value()));
            producer.send(
                new ProducerRecord<>(
                    topic,
                    partitioning == Partitioning.KEPT ? record.partition() : null,
                    record.timestampMs(),
                    record.key(),
                    record.value(),
                    headers),
                (metadata, exception) -> {
                  if (exception == null) {
                    acknowledged.incrementAndGet();
                  } else {
                    failure.compareAndSet(null, exception);
                  }
                });
            progress.advance(1);
          });
      producer.flush();
    } catch (KafkaException e) {
      throw new ReplayException("Kafka refused the import to " + topic + ": " + e.getMessage(), e);
    }
    if (failure.get() != null) {
      throw new ReplayException(
          "Import to "
              + topic
              + " failed after "
              + acknowledged.get()
              + " records: "
              + failure.get().getMessage(),
          failure.get());
    }
    return new Result(acknowledged.get(), partitioning, topicPartitions, shift.deltaMs());
  }

  /** The partition count of the topic, after creating it if it is missing and that is allowed. */
  private static int ensureTopic(
      Map<String, Object> clientSettings,
      String topic,
      int partitionsWanted,
      boolean create,
      Duration timeout) {
    Map<String, Object> settings = new HashMap<>(clientSettings);
    settings.keySet().retainAll(AdminClientConfig.configNames());
    settings.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    long waitMs = timeout.toMillis();
    try (Admin admin = Admin.create(settings)) {
      try {
        return partitionCount(admin, topic, waitMs);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
      }
      if (!create) {
        throw new ReplayException("Topic not found: " + topic + " (and topic creation is off)");
      }
      try {
        admin
            .createTopics(
                List.of(new NewTopic(topic, Optional.of(partitionsWanted), Optional.empty())))
            .all()
            .get(waitMs, TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
      return partitionCount(admin, topic, waitMs);
    } catch (ExecutionException e) {
      throw new ReplayException("Kafka refused topic " + topic + ": " + e.getCause().getMessage());
    } catch (TimeoutException e) {
      throw new ReplayException("Kafka did not answer within " + timeout.toSeconds() + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ReplayException("Interrupted", e);
    }
  }

  private static int partitionCount(Admin admin, String topic, long waitMs)
      throws ExecutionException, InterruptedException, TimeoutException {
    return admin
        .describeTopics(List.of(topic))
        .allTopicNames()
        .get(waitMs, TimeUnit.MILLISECONDS)
        .get(topic)
        .partitions()
        .size();
  }

  /** What the first pass learns: how many records, their earliest event time, their partitions. */
  private record FileSummary(
      long records, long earliestEventMs, int maxPartition, boolean allPartitioned) {
    static FileSummary of(Path file) throws IOException {
      long[] counts = {0, Long.MAX_VALUE, -1, 1};
      RecordFile.forEach(
          file,
          record -> {
            counts[0]++;
            counts[1] = Math.min(counts[1], TimeShift.eventTimeMs(record));
            if (record.partition() == null) {
              counts[3] = 0;
            } else {
              counts[2] = Math.max(counts[2], record.partition());
            }
          });
      return new FileSummary(counts[0], counts[1], (int) Math.max(counts[2], 0), counts[3] == 1);
    }
  }
}
