package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.spanlinks.app.orders.HostileCorpus;
import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-input corpus ({@code
 * spanlinks-kafka-streams/src/test/resources/hostile-inputs.jsonl}, each case documented there)
 * sent to the running app on a real broker: every input lands in exactly one of a batch (linked or
 * unlinked), the late topic or the dead-letter topic, the app keeps running, and the accounting,
 * read from what the app output, matches the corpus case by case. The same cases and expectations
 * as the test-driver HostileInputTest.
 */
@ExtendWith(KafkaClusterExtension.class)
class HostileInputIT {
  private static final Instant IN_WINDOW = Instant.parse("2026-01-15T10:30:00Z");
  private static final String TRACEPARENT = "00-%032x-%016x-01";

  @Test
  void shouldRouteEveryHostileInputToExactlyOnePlaceInTheRunningApp(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    List<HostileCorpus.Case> cases = HostileCorpus.load();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(25);
    // One partition: one stream time, so the cases meet the windows in the order they are sent.
    try (ClusterRun run = ClusterRun.create(kafka.bootstrapServers(), "hostile", dir, 1)) {
      ChildJvm app = run.startInstance("a");
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(
              Map.of("bootstrap.servers", kafka.bootstrapServers(), "acks", "all"),
              new StringSerializer(),
              new ByteArraySerializer())) {
        producer.send(order(run, "frame-1", "2026-01-15T09:10:00Z", 1)).get();
        // Closes 09:00-10:00: the far-past case is late.
        producer.send(order(run, "frame-2", "2026-01-15T10:06:00Z", 2)).get();
        for (HostileCorpus.Case hostile : cases) {
          producer
              .send(
                  new ProducerRecord<>(
                      run.ordersTopic(),
                      null,
                      IN_WINDOW.toEpochMilli(),
                      hostile.key(),
                      hostile.value(),
                      hostile.headers()))
              .get();
        }
        // Closes 10:00-11:00, the window of the cases.
        producer.send(order(run, "frame-3", "2026-01-15T12:00:00Z", 3)).get();
      }

      // The batch of 10:00 comes after every case: once it is there, so are their records.
      List<ConsumerRecord<String, OrderBatch>> batches =
          TopicReader.batches(kafka.bootstrapServers(), run.batchesTopic(), 2, TIMEOUT);
      List<String> deadLettered =
          caseNames(
              read(run, run.deadLetterTopic(), HostileCorpus.namesExpecting(cases, "dlq").size()));
      List<String> late =
          caseNames(read(run, run.lateTopic(), HostileCorpus.namesExpecting(cases, "late").size()));
      assertThat(app.isAlive()).as("the app never stops").isTrue();

      OrderBatch batch =
          batches.stream()
              .map(ConsumerRecord::value)
              .filter(b -> b.windowStart().equals(Instant.parse("2026-01-15T10:00:00Z")))
              .findFirst()
              .orElseThrow();
      // Spans are exported after the batch is committed.
      Span span =
          await("the batch span of 10:00")
              .atMost(TIMEOUT)
              .until(() -> batchSpan(run, batch), Optional::isPresent)
              .orElseThrow();
      List<String> linkedIds = new ArrayList<>();
      span.getLinksList().forEach(link -> linkedIds.add(orderId(link.getAttributesList())));
      assertThat(linkedIds).as("the frame order of 10:06 is in this batch").contains("frame-2");
      linkedIds.remove("frame-2");
      assertThat(batch.linkedCount()).isEqualTo(linkedIds.size() + 1L);
      assertThat(batch.orderCount()).isEqualTo(batch.linkedCount() + batch.unlinkedCount());

      // What the running app output, case by case, against what the corpus says.
      assertThat(
              HostileCorpus.observedDestinations(
                  cases, deadLettered, late, linkedIds, batch.unlinkedCount()))
          .isEqualTo(HostileCorpus.expectedDestinations(cases));
    }
  }

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private static ProducerRecord<String, byte[]> order(
      ClusterRun run, String orderId, String createdAt, int n) {
    String json =
        "{\"orderId\":\""
            + orderId
            + "\",\"amount\":1.00,\"currency\":\"EUR\",\"createdAt\":\""
            + createdAt
            + "\"}";
    ProducerRecord<String, byte[]> record =
        new ProducerRecord<>(
            run.ordersTopic(),
            null,
            Instant.parse(createdAt).toEpochMilli(),
            "eu",
            json.getBytes(StandardCharsets.UTF_8));
    record
        .headers()
        .add(
            "traceparent",
            String.format(TRACEPARENT, 0xabc0 + n, 0xdef0 + n).getBytes(StandardCharsets.UTF_8));
    return record;
  }

  private static List<ConsumerRecord<byte[], byte[]>> read(ClusterRun run, String topic, int n) {
    return TopicReader.read(
        run.bootstrapServers(),
        topic,
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer(),
        n,
        TIMEOUT);
  }

  /** The case name of every record, duplicates kept. */
  private static List<String> caseNames(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream()
        .map(r -> ItSupport.header(r.headers(), HostileCorpus.CASE_HEADER))
        .toList();
  }

  private static Optional<Span> batchSpan(ClusterRun run, OrderBatch batch) {
    ByteString traceId = ByteString.fromHex(batch.traceId());
    return run.spans().stream()
        .map(OtlpReceiver.ReceivedSpan::span)
        .filter(s -> s.getName().equals(ClusterRun.BATCH_SPAN) && s.getTraceId().equals(traceId))
        .findFirst();
  }

  private static String orderId(List<KeyValue> attributes) {
    return attributes.stream()
        .filter(a -> a.getKey().equals("spanlinks.order.id"))
        .map(a -> a.getValue().getStringValue())
        .findFirst()
        .orElse(null);
  }
}
