package dev.spanlinks.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.demo.KafkaClusterExtension.KafkaCluster;
import dev.spanlinks.streams.HostileCorpus;
import dev.spanlinks.streams.model.OrderBatch;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * The hostile-input corpus ({@code streams-app/src/test/resources/hostile-inputs.jsonl}, each case
 * documented there) sent to the running app on a real broker: every input lands in exactly one of a
 * batch (linked or unlinked), the late topic or the dead-letter topic, the app keeps running, and
 * the accounting balances. The same cases and expectations as the test-driver HostileInputTest.
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

      Set<String> deadLettered =
          caseNames(
              read(run, run.deadLetterTopic(), HostileCorpus.namesExpecting(cases, "dlq").size()));
      Set<String> late =
          caseNames(read(run, run.lateTopic(), HostileCorpus.namesExpecting(cases, "late").size()));
      List<ConsumerRecord<String, OrderBatch>> batches =
          TopicReader.batches(kafka.bootstrapServers(), run.batchesTopic(), 2, TIMEOUT);
      assertThat(app.isAlive()).as("the app never stops").isTrue();

      assertThat(deadLettered).isEqualTo(HostileCorpus.namesExpecting(cases, "dlq"));
      assertThat(late).isEqualTo(HostileCorpus.namesExpecting(cases, "late"));
      OrderBatch batch =
          batches.stream()
              .map(ConsumerRecord::value)
              .filter(b -> b.windowStart().equals(Instant.parse("2026-01-15T10:00:00Z")))
              .findFirst()
              .orElseThrow();
      int linked = HostileCorpus.namesExpecting(cases, "linked").size();
      int unlinked = HostileCorpus.namesExpecting(cases, "unlinked").size();
      assertThat(batch.linkedCount()).isEqualTo(linked + 1);
      assertThat(batch.unlinkedCount()).isEqualTo(unlinked);
      assertThat(deadLettered.size() + late.size() + linked + unlinked).isEqualTo(cases.size());

      List<String> linkedIds = new ArrayList<>();
      for (OtlpReceiver.ReceivedSpan received : run.spans()) {
        Span span = received.span();
        if (span.getName().equals(ClusterRun.BATCH_SPAN)
            && span.getTraceId().equals(com.google.protobuf.ByteString.fromHex(batch.traceId()))) {
          span.getLinksList().forEach(link -> linkedIds.add(orderId(link.getAttributesList())));
        }
      }
      List<String> expectedIds = new ArrayList<>();
      cases.stream()
          .filter(c -> c.expect().equals("linked"))
          .forEach(c -> expectedIds.add(c.orderId()));
      expectedIds.add("frame-2");
      assertThat(linkedIds).containsExactlyInAnyOrderElementsOf(expectedIds);
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

  private static Set<String> caseNames(List<ConsumerRecord<byte[], byte[]>> records) {
    Set<String> names = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      String name = ItSupport.header(record.headers(), HostileCorpus.CASE_HEADER);
      assertThat(names.add(name)).as("%s routed twice", name).isTrue();
    }
    return names;
  }

  private static String orderId(List<KeyValue> attributes) {
    return attributes.stream()
        .filter(a -> a.getKey().equals("spanlinks.order.id"))
        .map(a -> a.getValue().getStringValue())
        .findFirst()
        .orElse(null);
  }
}
