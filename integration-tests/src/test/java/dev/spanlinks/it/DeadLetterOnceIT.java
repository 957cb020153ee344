package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.BatchedRecord;
import dev.spanlinks.streams.DeadLetterHandler;
import dev.spanlinks.streams.DeferredRejection;
import dev.spanlinks.streams.LinkedBatch;
import dev.spanlinks.streams.LinkedWindows;
import dev.spanlinks.streams.RejectedRecordException;
import dev.spanlinks.streams.SpanlinksTelemetry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.processor.internals.StreamThread;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record its deserializer refuses, the first of a partition, and the application stopped the
 * moment the record after it is polled: then restarted. Two in-process Kafka Streams runs of a
 * {@link LinkedWindows} topology on a real broker, exactly-once, the library's own properties. The
 * source's timestamp extractor holds the stream thread, when it reads the record after the refused
 * one, until the thread is shutting down, so the stop comes at exactly that point.
 *
 * <p>Read through {@link DeferredRejection}, the refused record is dead-lettered once. Read through
 * Kafka Streams' deserialization handler (Kafka 4.4.0), it is dead-lettered at the poll and not
 * counted as processed: the stop commits its dead letter but not its offset, and the restart
 * dead-letters it again. The second test pins that, the reason {@code DeferredRejection} exists:
 * when it fails, Kafka Streams has changed, and the wrapping may no longer be needed.
 */
@ExtendWith(KafkaClusterExtension.class)
class DeadLetterOnceIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @Test
  void shouldDeadLetterARefusedRecordOnceAcrossAStopRightAfterItsPoll(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    assertThat(deadLettersAfterStopAndRestart(kafka, dir, true, "deferred"))
        .singleElement()
        .satisfies(
            deadLetter ->
                assertThat(ItSupport.header(deadLetter.headers(), DeadLetterHandler.HEADER_MESSAGE))
                    .isEqualTo("a bad record"));
  }

  @Test
  void shouldShowKafkaStreamsDeadLetteringARecordItSkippedTwice(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    assertThat(deadLettersAfterStopAndRestart(kafka, dir, false, "at-poll"))
        .as("Kafka Streams' own deserialization path (if 1, it commits a skipped record now)")
        .hasSize(2);
  }

  /** The dead letters of the refused record after a stop right after its poll and a restart. */
  private static List<ConsumerRecord<byte[], byte[]>> deadLettersAfterStopAndRestart(
      KafkaCluster kafka, Path dir, boolean deferred, String name) throws Exception {
    String id = "dl-once-" + name + "-" + Long.toString(System.nanoTime() & 0xffffff, 36);
    String input = id + "-in";
    String deadLetters = id + "-dlq";
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(input, Optional.of(1), Optional.empty()),
                  new NewTopic(deadLetters, Optional.of(1), Optional.empty()),
                  new NewTopic(id + "-batches", Optional.of(1), Optional.empty()),
                  new NewTopic(id + "-late", Optional.of(1), Optional.empty())))
          .all()
          .get();
      // One producer batch, so that the first poll reads the refused record and the next together.
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(
              Map.of("bootstrap.servers", kafka.bootstrapServers(), "linger.ms", 1_000),
              new StringSerializer(),
              new StringSerializer())) {
        long now = System.currentTimeMillis();
        producer.send(new ProducerRecord<>(input, 0, now - 3_000, "eu", "bad-1"));
        producer.send(new ProducerRecord<>(input, 0, now - 2_000, "eu", "good-1"));
        producer.send(new ProducerRecord<>(input, 0, now - 1_000, "eu", "good-2"));
        producer.flush();
      }

      StopAtNextRead stop = new StopAtNextRead();
      try (OpenTelemetrySdk otel = sdk()) {
        KafkaStreams first = start(kafka, dir, id, deferred, stop, otel);
        assertThat(stop.reached.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
            .as("the stream thread read the record after the refused one")
            .isTrue();
        first.close(TIMEOUT);
        assertThat(first.state()).isEqualTo(KafkaStreams.State.NOT_RUNNING);

        stop.armed.set(false);
        KafkaStreams second = start(kafka, dir, id, deferred, stop, otel);
        TopicPartition partition = new TopicPartition(input, 0);
        await("every input record committed")
            .atMost(TIMEOUT)
            .until(
                () -> {
                  OffsetAndMetadata committed =
                      admin
                          .listConsumerGroupOffsets(id)
                          .partitionsToOffsetAndMetadata()
                          .get()
                          .get(partition);
                  return committed != null && committed.offset() == 3;
                });
        second.close(TIMEOUT);
      }
      return TopicReader.read(
              kafka.bootstrapServers(),
              deadLetters,
              new ByteArrayDeserializer(),
              new ByteArrayDeserializer(),
              3,
              Duration.ofSeconds(2))
          .stream()
          .filter(r -> new String(r.value(), StandardCharsets.UTF_8).equals("bad-1"))
          .toList();
    }
  }

  /**
   * An extractor of the record's own timestamp that, while armed, holds the stream thread at the
   * first record it reads (the one after the refused record: an extractor never sees a record its
   * deserializer refused) until the thread is shutting down.
   */
  private static final class StopAtNextRead implements TimestampExtractor {
    final AtomicBoolean armed = new AtomicBoolean(true);
    final CountDownLatch reached = new CountDownLatch(1);

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
      if (armed.get() && Thread.currentThread() instanceof StreamThread thread) {
        reached.countDown();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (thread.isRunning() && System.nanoTime() < deadline) {
          try {
            Thread.sleep(10);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
      }
      return record.timestamp();
    }
  }

  private static KafkaStreams start(
      KafkaCluster kafka,
      Path dir,
      String id,
      boolean deferred,
      TimestampExtractor extractor,
      OpenTelemetrySdk otel) {
    Serde<String> picky =
        Serdes.serdeFrom(
            new StringSerializer(),
            (topic, data) -> {
              String value = new String(data, StandardCharsets.UTF_8);
              if (value.startsWith("bad")) {
                throw new RejectedRecordException("a bad record");
              }
              return value;
            });
    StreamsBuilder builder = new StreamsBuilder();
    KStream<String, String> records =
        builder.stream(
            id + "-in",
            (deferred
                    ? DeferredRejection.consumed(Serdes.String(), picky, extractor)
                    : Consumed.with(Serdes.String(), picky).withTimestampExtractor(extractor))
                .withName("records-source"));
    LinkedWindows.Linked<String, String> linked =
        LinkedWindows.builder(otel)
            .size(Duration.ofHours(1))
            .named("records")
            .link(records, (key, value, timestamp) -> BatchedRecord.of(value, key, null));
    linked.batches().to(id + "-batches", Produced.with(Serdes.String(), LinkedBatch.jsonSerde()));
    linked.late().to(id + "-late", Produced.with(Serdes.String(), picky));
    BatchConfig config =
        new BatchConfig(
            Map.of(
                StreamsConfig.APPLICATION_ID_CONFIG,
                id,
                StreamsConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                StreamsConfig.STATE_DIR_CONFIG,
                dir.toString(),
                StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
                id + "-dlq",
                // Kafka Streams does not leave the group on close: the restart waits out the
                // stopped member's session, so keep it short.
                "session.timeout.ms",
                "6000",
                "heartbeat.interval.ms",
                "1500"));
    KafkaStreams streams = new KafkaStreams(builder.build(), config.streamsProperties(otel));
    streams.start();
    return streams;
  }

  private static OpenTelemetrySdk sdk() {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(
            SpanlinksTelemetry.withBatchSupport(SdkTracerProvider.builder(), 1_000)
                .addSpanProcessor(SimpleSpanProcessor.create(InMemorySpanExporter.create()))
                .build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }
}
