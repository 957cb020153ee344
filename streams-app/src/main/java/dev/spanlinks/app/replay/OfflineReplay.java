package dev.spanlinks.app.replay;

import dev.spanlinks.app.orders.OrdersTopology;
import dev.spanlinks.streams.BatchConfig;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Runs a replay file through the real topology offline, in Kafka's {@link TopologyTestDriver}: no
 * broker, same batches, same batch ids, same links as a live run over the same records.
 *
 * <p>Live, each partition of the orders topic is its own task with its own stream time, windows and
 * late decisions. The driver has one partition per topic, so the replay runs one driver per
 * partition of the file and feeds each its records in file order (an export writes them in offset
 * order). At the end of the file, each driver's wall clock moves on, as it would on a quiet topic,
 * far enough for the idle close ({@code spanlinks.idle.close.ms}) to close every window: no order
 * is invented to push stream time. The result equals a live run whose input never paused longer
 * than the idle close time mid-stream.
 *
 * <p>What differs from live: links' {@code messaging.destination.partition.id} and {@code
 * messaging.kafka.offset} attributes carry the driver's positions (partition 0, offsets from 0 in
 * each driver), and invalid records are counted here, not written anywhere.
 */
public final class OfflineReplay {
  /** Counts of one replay. */
  public record Result(
      long records, long batches, long lateOrders, long deadLetters, int partitions) {}

  private OfflineReplay() {}

  /**
   * @param config the application's settings, as {@code run} would use them
   * @param wallClockStart the drivers' wall clock at the start; "now" gives live behaviour for
   *     {@code spanlinks.max.future.ms}
   * @param stateRoot an empty directory for the drivers' state, removed by the caller
   * @param batches hears every batch record as the topology wrote it, as a replay file line
   */
  public static Result run(
      BatchConfig config,
      OpenTelemetry openTelemetry,
      Path file,
      Instant wallClockStart,
      Path stateRoot,
      Progress progress,
      Consumer<RecordLine> batches)
      throws IOException {
    progress.total(RecordFile.count(file));
    Map<Integer, PartitionDriver> drivers = new TreeMap<>();
    long[] records = {0};
    try {
      RecordFile.forEach(
          file,
          record -> {
            int partition = record.partition() == null ? 0 : record.partition();
            PartitionDriver driver =
                drivers.computeIfAbsent(
                    partition,
                    p ->
                        new PartitionDriver(
                            config.withBatchIdsPartition(p),
                            openTelemetry,
                            wallClockStart,
                            stateRoot.resolve("partition-" + p)));
            driver.pipe(record);
            if (++records[0] % 1000 == 0) {
              drivers.values().forEach(d -> d.drain(batches));
            }
            progress.advance(1);
          });
      long batchCount = 0;
      long late = 0;
      long dead = 0;
      for (PartitionDriver driver : drivers.values()) {
        driver.closeAllWindows(config);
        driver.drain(batches);
        batchCount += driver.batches;
        late += driver.late;
        dead += driver.deadLetters;
      }
      return new Result(records[0], batchCount, late, dead, drivers.size());
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } finally {
      drivers.values().forEach(PartitionDriver::close);
    }
  }

  /** One live task's worth: a driver fed one partition's records. */
  private static final class PartitionDriver implements AutoCloseable {
    private final TopologyTestDriver driver;
    private final TestInputTopic<byte[], byte[]> orders;
    private final TestOutputTopic<byte[], byte[]> batchOutput;
    private final TestOutputTopic<byte[], byte[]> lateOutput;
    private final TestOutputTopic<byte[], byte[]> deadLetterOutput;
    private final String batchesTopic;
    private final String lateTopic;
    private final String deadLetterTopic;
    private final Instant wallClockStart;
    private final long maxFutureMs;
    private long maxEventTimeMs = Long.MIN_VALUE;
    private long batches;
    private long late;
    private long deadLetters;

    PartitionDriver(
        BatchConfig config, OpenTelemetry openTelemetry, Instant wallClockStart, Path stateDir) {
      Properties properties = config.streamsProperties(openTelemetry);
      properties.putIfAbsent(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "replay.invalid:9092");
      properties.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
      // The driver has no transactions: under exactly_once_v2 it hides the dead letters Kafka
      // Streams writes while deserializing. One thread and no crashes: at-least-once is exact here.
      properties.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
      this.driver =
          new TopologyTestDriver(
              OrdersTopology.build(config, openTelemetry), properties, wallClockStart);
      this.wallClockStart = wallClockStart;
      this.maxFutureMs = config.maxFutureMs();
      this.batchesTopic = config.batchesTopic();
      this.lateTopic = config.lateTopic();
      this.deadLetterTopic = config.deadLetterTopic();
      ByteArraySerializer serializer = new ByteArraySerializer();
      ByteArrayDeserializer deserializer = new ByteArrayDeserializer();
      this.orders = driver.createInputTopic(config.ordersTopic(), serializer, serializer);
      this.batchOutput = driver.createOutputTopic(batchesTopic, deserializer, deserializer);
      this.lateOutput = driver.createOutputTopic(config.lateTopic(), deserializer, deserializer);
      this.deadLetterOutput =
          driver.createOutputTopic(config.deadLetterTopic(), deserializer, deserializer);
    }

    void pipe(RecordLine record) {
      RecordHeaders headers = new RecordHeaders();
      record.headers().forEach(header -> headers.add(header.key(), header.value()));
      orders.pipeInput(
          new TestRecord<>(record.key(), record.value(), headers, record.timestampMs()));
      long eventTime = TimeShift.eventTimeMs(record);
      // Orders this far ahead are dead-lettered; they must not make the clock run to them.
      if (eventTime - wallClockStart.toEpochMilli() <= maxFutureMs) {
        maxEventTimeMs = Math.max(maxEventTimeMs, eventTime);
      }
    }

    /**
     * Lets wall-clock time pass until the idle close has closed every window that holds an order:
     * past the idle time, and past the end plus grace of the latest window.
     */
    void closeAllWindows(BatchConfig config) {
      long start = wallClockStart.toEpochMilli();
      long closeAt = start + config.idleCloseMs();
      if (maxEventTimeMs != Long.MIN_VALUE) {
        closeAt =
            Math.max(closeAt, maxEventTimeMs + config.windowSizeMs() + config.windowGraceMs());
      }
      driver.advanceWallClockTime(
          Duration.ofMillis(closeAt - start + config.closeCheckIntervalMs()));
    }

    void drain(Consumer<RecordLine> listener) {
      while (driver.producedTopicNames().contains(batchesTopic) && !batchOutput.isEmpty()) {
        TestRecord<byte[], byte[]> batch = batchOutput.readRecord();
        List<RecordLine.Header> headers = new ArrayList<>();
        for (Header header : batch.headers()) {
          headers.add(new RecordLine.Header(header.key(), header.value()));
        }
        listener.accept(
            new RecordLine(
                batchesTopic, null, null, batch.timestamp(), batch.key(), batch.value(), headers));
        batches++;
      }
      // Reading a topic the driver never wrote to logs a warning: ask first.
      if (driver.producedTopicNames().contains(lateTopic)) {
        late += lateOutput.readRecordsToList().size();
      }
      if (driver.producedTopicNames().contains(deadLetterTopic)) {
        deadLetters += deadLetterOutput.readRecordsToList().size();
      }
      discardChangelogs();
    }

    /**
     * The driver keeps every record it captures until it is read, the stores' changelog records too
     * (and it commits after every record, so each order rewrites its block there): dropped here, or
     * a long file would fill the heap with them.
     */
    private void discardChangelogs() {
      ByteArrayDeserializer deserializer = new ByteArrayDeserializer();
      for (String topic : driver.producedTopicNames()) {
        if (topic.endsWith("-changelog")) {
          driver.createOutputTopic(topic, deserializer, deserializer).readRecordsToList();
        }
      }
    }

    @Override
    public void close() {
      driver.close();
    }
  }
}
