package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import dev.spanlinks.streams.trace.internals.BatchIds;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code streams-app.jar} under the OpenTelemetry Java agent (its Kafka Streams and Kafka client
 * instrumentation active): the batch span still links every order; the output record's trace
 * context is in the batch's trace (the agent's send span is the batch span's child), never in the
 * trace of the record that closed the window.
 */
@ExtendWith(KafkaClusterExtension.class)
class JavaAgentIT {
  private static final Path AGENT = Path.of("target", "agent", "opentelemetry-javaagent.jar");

  @Test
  void shouldKeepBatchSpansAndOutputContextUnderTheAgent(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    String id = "agent-" + UUID.randomUUID().toString().substring(0, 6);
    Path config = ItSupport.streamsConfig(dir, kafka.bootstrapServers(), id, Map.of());
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
    try (OtlpReceiver receiver = new OtlpReceiver();
        ChildJvm streams =
            ChildJvm.start(
                List.of("-javaagent:" + AGENT),
                ItSupport.STREAMS_JAR,
                List.of("run", "--config", config.toString(), "--partitions", "1"),
                Map.of(
                    "OTEL_SERVICE_NAME", "spanlinks-streams",
                    "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.httpEndpoint(),
                    "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
                    "OTEL_BSP_SCHEDULE_DELAY", "100",
                    "OTEL_METRICS_EXPORTER", "none",
                    "OTEL_LOGS_EXPORTER", "none",
                    "OTEL_SPAN_LINK_COUNT_LIMIT", "2024"),
                ItSupport.logs().resolve(id + "-streams.log"))) {
      await("streams app running under the agent")
          .atMost(Duration.ofSeconds(90))
          .until(() -> streams.output().contains("spanlinks running"));

      List<String> orderTraces = List.of("a1", "a2", "a3");
      String closerTrace = "c0".repeat(16);
      try (KafkaProducer<String, String> producer =
          ItSupport.stringProducer(kafka.bootstrapServers())) {
        for (int n = 0; n < orderTraces.size(); n++) {
          producer.send(
              order(
                  "orders-" + id,
                  "o-" + n,
                  hour.plusSeconds(60L * n),
                  orderTraces.get(n).repeat(16)));
        }
        // Stream time passes end + grace while this record is processed: it closes the hour.
        producer.send(
            order("orders-" + id, "closer", hour.plus(Duration.ofMinutes(70)), closerTrace));
        producer.flush();
      }
      List<ConsumerRecord<String, OrderBatch>> batches =
          TopicReader.batches(kafka.bootstrapServers(), "batches-" + id, 1, Duration.ofSeconds(60));
      assertThat(batches).isNotEmpty();
      OrderBatch first = batches.get(0).value();
      assertThat(first.windowStart()).isEqualTo(hour);
      await("batch span exported")
          .atMost(Duration.ofSeconds(30))
          .until(() -> !receiver.spansNamed("process orders").isEmpty());
      assertThat(streams.terminate(60)).isIn(0, 143);

      Span batch = receiver.spansNamed("process orders").get(0);
      String batchTrace = HexFormat.of().formatHex(batch.getTraceId().toByteArray());
      assertThat(batch.getLinksList())
          .extracting(l -> HexFormat.of().formatHex(l.getTraceId().toByteArray()))
          .containsExactlyInAnyOrder("a1".repeat(16), "a2".repeat(16), "a3".repeat(16));
      assertThat(batchTrace)
          .as("the agent's SDK has its own id generator: ids are random, and the log says so")
          .isNotEqualTo(new BatchIds(id, "eu", hour.toEpochMilli(), first.partition()).traceId());
      assertThat(streams.output()).contains("Batch spans get random ids");

      String traceparent = ItSupport.header(batches.get(0).headers(), "traceparent");
      assertThat(traceparent).isNotNull();
      assertThat(traceparent.substring(3, 35))
          .as("output context is in the batch's trace, not the closing record's")
          .isEqualTo(batchTrace)
          .isNotEqualTo(closerTrace);
      Span send =
          receiver.spans().stream()
              .map(OtlpReceiver.ReceivedSpan::span)
              .filter(
                  s ->
                      HexFormat.of()
                          .formatHex(s.getSpanId().toByteArray())
                          .equals(traceparent.substring(36, 52)))
              .findFirst()
              .orElseThrow(() -> new AssertionError("the agent's send span was not exported"));
      assertThat(send.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_PRODUCER);
      assertThat(send.getParentSpanId())
          .as("the agent's send span is the batch span's child")
          .isEqualTo(batch.getSpanId());
    }
  }

  private static ProducerRecord<String, String> order(
      String topic, String orderId, Instant at, String traceId) {
    ProducerRecord<String, String> record =
        new ProducerRecord<>(
            topic,
            "eu",
            "{\"orderId\":\""
                + orderId
                + "\",\"amount\":1.00,\"currency\":\"EUR\",\"createdAt\":\""
                + at
                + "\"}");
    record
        .headers()
        .add(
            "traceparent",
            ("00-" + traceId + "-00f067aa0ba902b7-01").getBytes(StandardCharsets.UTF_8));
    return record;
  }
}
