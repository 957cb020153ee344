package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One batch key on two partitions, as when a Python or Go producer (librdkafka: CRC32 of the key)
 * and a Java producer (murmur2) write the same keys, or after partitions were added. Without the
 * repartition option that is two batches, each with ids of its own; with it, one batch.
 */
@ExtendWith(KafkaClusterExtension.class)
class PartitioningIT {
  private static final int ORDERS_PER_PARTITION = 20;

  @ParameterizedTest(name = "spanlinks.repartition.by.key={0}")
  @ValueSource(booleans = {false, true})
  void shouldGiveOneKeyOnTwoPartitionsDistinctBatchesOrOneBatchWithTheRepartition(
      boolean repartition, KafkaCluster kafka, @TempDir Path dir) throws Exception {
    String id = "partitioning-" + repartition + "-" + UUID.randomUUID().toString().substring(0, 6);
    Path config =
        ItSupport.streamsConfig(
            dir,
            kafka.bootstrapServers(),
            id,
            Map.of("spanlinks.repartition.by.key", Boolean.toString(repartition)));
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));

    try (OtlpReceiver receiver = new OtlpReceiver()) {
      Map<String, String> otel = ItSupport.spansTo(receiver);
      try (ChildJvm streams =
          ChildJvm.start(
              ItSupport.STREAMS_JAR,
              List.of("run", "--config", config.toString(), "--partitions", "2"),
              otel,
              ItSupport.logs().resolve(id + "-streams.log"))) {
        await("streams app running")
            .atMost(Duration.ofSeconds(60))
            .until(() -> streams.output().contains("spanlinks running"));

        Set<String> sent = new HashSet<>();
        try (KafkaProducer<String, String> producer =
            ItSupport.stringProducer(kafka.bootstrapServers())) {
          for (int n = 0; n < 2 * ORDERS_PER_PARTITION; n++) {
            String traceparent =
                String.format(Locale.ROOT, "00-%032x-%016x-01", 0x7000 + n, 0x8000 + n);
            ProducerRecord<String, String> order =
                new ProducerRecord<>(
                    "orders-" + id,
                    n % 2, // the same key on both partitions, as two partitioners would
                    "eu",
                    "{\"orderId\":\"o-"
                        + n
                        + "\",\"amount\":1,\"currency\":\"EUR\",\"createdAt\":\""
                        + hour.plusSeconds(60L * n)
                        + "\"}");
            order.headers().add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
            producer.send(order).get();
            sent.add(traceparent.substring(3, 35) + "/" + traceparent.substring(36, 52));
          }
        }

        List<ConsumerRecord<String, OrderBatch>> batches =
            TopicReader.awaitBatchedOrders(
                kafka.bootstrapServers(),
                "batches-" + id,
                2 * ORDERS_PER_PARTITION,
                Duration.ofSeconds(90));
        assertThat(batches).allSatisfy(b -> assertThat(b.value().windowStart()).isEqualTo(hour));
        if (repartition) {
          assertThat(batches).singleElement();
          assertThat(batches.get(0).value().orderCount()).isEqualTo(2L * ORDERS_PER_PARTITION);
        } else {
          assertThat(batches).hasSize(2);
          assertThat(batches)
              .extracting(b -> b.value().partition())
              .containsExactlyInAnyOrder(0, 1);
          assertThat(batches)
              .extracting(b -> b.value().orderCount())
              .containsOnly((long) ORDERS_PER_PARTITION);
          assertThat(batches.get(0).value().traceId())
              .as("two batches never share ids")
              .isNotEqualTo(batches.get(1).value().traceId());
        }

        Set<String> batchSpanIds = new HashSet<>();
        await("every batch span exported")
            .atMost(Duration.ofSeconds(30))
            .until(() -> receiver.spansNamed("process orders").size() >= batches.size());
        for (Span span : receiver.spansNamed("process orders")) {
          batchSpanIds.add(
              ItSupport.ids(span.getTraceId().toByteArray(), span.getSpanId().toByteArray()));
        }
        for (ConsumerRecord<String, OrderBatch> batch : batches) {
          String traceparent = ItSupport.header(batch.headers(), "traceparent");
          assertThat(batchSpanIds)
              .as("the batch record's traceparent names a span that arrived")
              .contains(traceparent.substring(3, 35) + "/" + traceparent.substring(36, 52));
        }
        List<String> links =
            receiver.spansNamed("process orders").stream()
                .flatMap(span -> span.getLinksList().stream())
                .map(l -> ItSupport.ids(l.getTraceId().toByteArray(), l.getSpanId().toByteArray()))
                .toList();
        assertThat(links).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(sent);
        List<Long> linkedOffsets =
            receiver.spansNamed("process orders").stream()
                .flatMap(span -> span.getLinksList().stream())
                .flatMap(l -> l.getAttributesList().stream())
                .filter(a -> a.getKey().equals("messaging.kafka.offset"))
                .map(a -> a.getValue().getIntValue())
                .toList();
        assertThat(linkedOffsets)
            .as("links name each order's own record in the orders topic")
            .allMatch(offset -> offset < ORDERS_PER_PARTITION);
        assertThat(streams.terminate(60)).isIn(0, 143);
      }
    }
  }
}
