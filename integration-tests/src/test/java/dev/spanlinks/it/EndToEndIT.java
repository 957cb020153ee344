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
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole pipeline, started as users start it: {@code producer-demo.jar produce} sends traced
 * orders to a real broker, {@code streams-app.jar run --config FILE} batches them, and both export
 * spans over OTLP to a receiver that decodes the bytes. Everything is checked against what the
 * producer itself exported and what downstream consumers read.
 */
@ExtendWith(KafkaClusterExtension.class)
class EndToEndIT {
  @ParameterizedTest
  @ValueSource(strings = {"http/protobuf", "grpc"})
  void shouldLinkEveryTracedOrderExactlyOnceAcrossTheRealPipeline(
      String protocol, KafkaCluster kafka, @TempDir Path dir) throws Exception {
    String id =
        "e2e-" + protocol.replace('/', '-') + "-" + UUID.randomUUID().toString().substring(0, 6);
    String orders = "orders-" + id;
    String batchesTopic = "batches-" + id;
    String late = "late-" + id;
    String dlq = "dlq-" + id;
    Path logs = ItSupport.logs();
    Path config =
        ItSupport.streamsConfig(
            dir, kafka.bootstrapServers(), id, Map.of("spanlinks.links.per.span", "100"));

    try (OtlpReceiver receiver = new OtlpReceiver()) {
      Map<String, String> otel =
          Map.of(
              "OTEL_EXPORTER_OTLP_ENDPOINT",
              protocol.equals("grpc") ? receiver.grpcEndpoint() : receiver.httpEndpoint(),
              "OTEL_EXPORTER_OTLP_PROTOCOL",
              protocol,
              "OTEL_BSP_SCHEDULE_DELAY",
              "100",
              "OTEL_METRICS_EXPORTER",
              "none",
              "OTEL_LOGS_EXPORTER",
              "none");
      try (ChildJvm streams =
          ChildJvm.start(
              ItSupport.STREAMS_JAR,
              List.of("run", "--config", config.toString(), "--partitions", "3"),
              otel,
              logs.resolve(id + "-streams.log"))) {
        await("streams app running")
            .atMost(Duration.ofSeconds(60))
            .until(() -> streams.output().contains("spanlinks running"));

        Instant start = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(4));
        int invalid =
            ItSupport.produceDemoOrders(
                kafka.bootstrapServers(),
                orders,
                400,
                start,
                7,
                otel,
                logs.resolve(id + "-producer.log"));
        int valid = 400 - invalid;

        List<ConsumerRecord<String, OrderBatch>> batches =
            TopicReader.awaitBatchedOrders(
                kafka.bootstrapServers(), batchesTopic, valid, Duration.ofSeconds(90));

        // An order for an hour that has closed: it must go to the late topic, not into a batch.
        String lateTraceparent = "00-" + "ab".repeat(16) + "-" + "cd".repeat(8) + "-01";
        try (KafkaProducer<String, String> raw =
            ItSupport.stringProducer(kafka.bootstrapServers())) {
          ProducerRecord<String, String> lateOrder =
              new ProducerRecord<>(
                  orders,
                  "eu",
                  "{\"orderId\":\"late-1\",\"amount\":1,\"currency\":\"EUR\",\"createdAt\":\""
                      + start.plusSeconds(60)
                      + "\"}");
          lateOrder.headers().add("traceparent", lateTraceparent.getBytes(StandardCharsets.UTF_8));
          raw.send(lateOrder).get();
        }
        List<ConsumerRecord<String, String>> lateRecords =
            TopicReader.read(
                kafka.bootstrapServers(),
                late,
                new StringDeserializer(),
                new StringDeserializer(),
                1,
                Duration.ofSeconds(30));

        // A JVM ended by SIGTERM exits with 143 (128 + 15) even when its shutdown hook ran cleanly.
        assertThat(streams.terminate(60)).as("clean stop on SIGTERM").isIn(0, 143);
        assertThat(streams.output()).contains("spanlinks stopped cleanly");

        List<ConsumerRecord<byte[], byte[]>> deadLetters =
            TopicReader.read(
                kafka.bootstrapServers(),
                dlq,
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer(),
                invalid,
                Duration.ofSeconds(10));
        List<ConsumerRecord<byte[], byte[]>> input =
            TopicReader.read(
                kafka.bootstrapServers(),
                orders,
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer(),
                401,
                Duration.ofSeconds(10));

        // What the producer itself exported: one send span per traced order.
        Set<String> sendSpans = new HashSet<>();
        for (OtlpReceiver.ReceivedSpan received : receiver.spans()) {
          if (received.serviceName().equals("order-api")
              && received.span().getKind() == Span.SpanKind.SPAN_KIND_PRODUCER) {
            sendSpans.add(
                ItSupport.ids(
                    received.span().getTraceId().toByteArray(),
                    received.span().getSpanId().toByteArray()));
          }
        }
        Set<String> deadLetteredContexts = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> deadLetter : deadLetters) {
          String traceparent = ItSupport.header(deadLetter.headers(), "traceparent");
          if (traceparent != null) {
            deadLetteredContexts.add(
                traceparent.substring(3, 35) + "/" + traceparent.substring(36, 52));
          }
          // The producer's three kinds of invalid order, each named by its rule.
          assertThat(ItSupport.header(deadLetter.headers(), "__streams.errors.message"))
              .isIn(
                  "orderId is missing",
                  "amount must not be negative",
                  "currency must be three upper-case letters");
        }

        List<String> links = new java.util.ArrayList<>();
        List<Span> batchSpans = receiver.spansNamed("process orders");
        for (Span span : receiver.spans().stream().map(OtlpReceiver.ReceivedSpan::span).toList()) {
          if (span.getName().equals("process orders")
              || span.getName().equals("process orders chunk")) {
            assertThat(span.getDroppedLinksCount()).isZero();
            span.getLinksList()
                .forEach(
                    l ->
                        links.add(
                            ItSupport.ids(
                                l.getTraceId().toByteArray(), l.getSpanId().toByteArray())));
          }
        }
        Set<String> expectedLinks = new HashSet<>(sendSpans);
        expectedLinks.removeAll(deadLetteredContexts);
        assertThat(links)
            .doesNotHaveDuplicates()
            .containsExactlyInAnyOrderElementsOf(expectedLinks);
        assertThat(sendSpans).containsAll(deadLetteredContexts);
        assertThat(links).doesNotContain("ab".repeat(16) + "/" + "cd".repeat(8));

        assertThat(batchSpans).hasSize(batches.size());
        Set<String> batchSpanIds = new HashSet<>();
        batchSpans.forEach(
            s ->
                batchSpanIds.add(
                    ItSupport.ids(s.getTraceId().toByteArray(), s.getSpanId().toByteArray())));
        for (ConsumerRecord<String, OrderBatch> batch : batches) {
          String traceparent = ItSupport.header(batch.headers(), "traceparent");
          assertThat(traceparent)
              .isEqualTo("00-" + batch.value().traceId() + "-" + batch.value().spanId() + "-01");
          assertThat(batchSpanIds).contains(batch.value().traceId() + "/" + batch.value().spanId());
        }

        long batched = batches.stream().mapToLong(b -> b.value().orderCount()).sum();
        assertThat(deadLetters).hasSize(invalid);
        assertThat(lateRecords).hasSize(1);
        assertThat(ItSupport.header(lateRecords.get(0).headers(), "traceparent"))
            .isEqualTo(lateTraceparent);
        assertThat(input).hasSize(401);
        assertThat(batched + lateRecords.size() + deadLetters.size()).isEqualTo(input.size());
      }
    }
  }
}
