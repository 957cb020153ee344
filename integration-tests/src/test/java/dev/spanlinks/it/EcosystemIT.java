package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
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
 * spanlinks among other OpenTelemetry parts, through {@code streams-app.jar} as shipped (its
 * service files included): B3 propagation chosen by {@code OTEL_PROPAGATORS}, baggage never copied,
 * the {@code spanlinks_linked} sampler chosen by {@code OTEL_TRACES_SAMPLER}, reverse links, and
 * metrics exported over OTLP.
 */
@ExtendWith(KafkaClusterExtension.class)
class EcosystemIT {
  private static final String B3_TRACE = "463ac35c9f6413ad48485a3953bb6124";

  @Test
  void shouldFitPropagatorsSamplerReverseLinksAndMetrics(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    String id = "eco-" + UUID.randomUUID().toString().substring(0, 6);
    Path config =
        ItSupport.streamsConfig(
            dir, kafka.bootstrapServers(), id, Map.of("spanlinks.reverse.links", "true"));
    try (OtlpReceiver receiver = new OtlpReceiver();
        ChildJvm streams =
            ChildJvm.start(
                ItSupport.STREAMS_JAR,
                List.of("run", "--config", config.toString(), "--partitions", "2"),
                Map.of(
                    "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.httpEndpoint(),
                    "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
                    "OTEL_PROPAGATORS", "tracecontext,baggage,b3multi",
                    "OTEL_TRACES_SAMPLER", "spanlinks_linked",
                    "OTEL_BSP_SCHEDULE_DELAY", "100",
                    "OTEL_METRIC_EXPORT_INTERVAL", "500",
                    "OTEL_LOGS_EXPORTER", "none"),
                ItSupport.logs().resolve(id + "-streams.log"))) {
      await("streams app running")
          .atMost(Duration.ofSeconds(60))
          .until(() -> streams.output().contains("spanlinks running"));

      Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
      try (KafkaProducer<String, String> producer =
          ItSupport.stringProducer(kafka.bootstrapServers())) {
        // eu: two orders with only B3 headers (and baggage), one with W3C trace context.
        producer.send(b3Order("orders-" + id, "b3-1", hour, "00f067aa0ba902b1"));
        producer.send(b3Order("orders-" + id, "b3-2", hour, "00f067aa0ba902b2"));
        producer.send(
            w3cOrder(
                "orders-" + id, "eu", "w3c-1", hour, "4bf92f3577b34da6a3ce929d0e0e4736", "01"));
        // us: one order whose request was not sampled: the sampler drops its batch span.
        producer.send(
            w3cOrder(
                "orders-" + id, "us", "w3c-2", hour, "5bf92f3577b34da6a3ce929d0e0e4736", "00"));
        producer.send(new ProducerRecord<>("orders-" + id, "eu", "{not json"));
        producer.flush();
      }
      List<ConsumerRecord<String, OrderBatch>> batches =
          TopicReader.batches(kafka.bootstrapServers(), "batches-" + id, 2, Duration.ofSeconds(60));
      assertThat(batches).extracting(ConsumerRecord::key).containsExactlyInAnyOrder("eu", "us");
      for (ConsumerRecord<String, OrderBatch> batch : batches) {
        assertThat(ItSupport.header(batch.headers(), "baggage"))
            .as("baggage is never copied")
            .isNull();
      }
      await("metrics exported")
          .atMost(Duration.ofSeconds(30))
          .until(() -> sum(receiver, "spanlinks.orders", "batched") == 4);
      assertThat(streams.terminate(60)).isIn(0, 143);

      List<Span> batchSpans = receiver.spansNamed("process orders");
      assertThat(batchSpans).as("the us batch had no sampled order").hasSize(1);
      Span eu = batchSpans.get(0);
      assertThat(eu.getLinksList())
          .extracting(l -> ItSupport.ids(l.getTraceId().toByteArray(), l.getSpanId().toByteArray()))
          .containsExactlyInAnyOrder(
              B3_TRACE + "/00f067aa0ba902b1",
              B3_TRACE + "/00f067aa0ba902b2",
              "4bf92f3577b34da6a3ce929d0e0e4736/00f067aa0ba902b7");
      assertThat(eu.getAttributesList())
          .extracting(KeyValue::getKey)
          .noneMatch(key -> key.contains("baggage") || key.contains("user"));

      List<Span> reverse = receiver.spansNamed("batched");
      assertThat(reverse)
          .extracting(
              s -> ItSupport.ids(s.getTraceId().toByteArray(), s.getParentSpanId().toByteArray()))
          .as("one span in each sampled order's own trace")
          .containsExactlyInAnyOrder(
              B3_TRACE + "/00f067aa0ba902b1",
              B3_TRACE + "/00f067aa0ba902b2",
              "4bf92f3577b34da6a3ce929d0e0e4736/00f067aa0ba902b7");
      for (Span span : reverse) {
        assertThat(span.getLinks(0).getSpanId()).isEqualTo(eu.getSpanId());
      }

      assertThat(sum(receiver, "spanlinks.orders", "dead_lettered")).isEqualTo(1);
      assertThat(sum(receiver, "spanlinks.orders.linked", null)).isEqualTo(4);
      assertThat(histogramCount(receiver, "spanlinks.batch.size")).isEqualTo(2);
      assertThat(histogramCount(receiver, "spanlinks.window.close.delay")).isEqualTo(2);
    }
  }

  private static ProducerRecord<String, String> b3Order(
      String topic, String orderId, Instant at, String spanId) {
    ProducerRecord<String, String> record = new ProducerRecord<>(topic, "eu", json(orderId, at));
    record.headers().add("X-B3-TraceId", B3_TRACE.getBytes(StandardCharsets.UTF_8));
    record.headers().add("X-B3-SpanId", spanId.getBytes(StandardCharsets.UTF_8));
    record.headers().add("X-B3-Sampled", "1".getBytes(StandardCharsets.UTF_8));
    record.headers().add("baggage", "user.id=alice".getBytes(StandardCharsets.UTF_8));
    return record;
  }

  private static ProducerRecord<String, String> w3cOrder(
      String topic, String key, String orderId, Instant at, String traceId, String flags) {
    ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, json(orderId, at));
    record
        .headers()
        .add(
            "traceparent",
            ("00-" + traceId + "-00f067aa0ba902b7-" + flags).getBytes(StandardCharsets.UTF_8));
    return record;
  }

  private static String json(String orderId, Instant at) {
    return "{\"orderId\":\""
        + orderId
        + "\",\"amount\":3.00,\"currency\":\"EUR\",\"createdAt\":\""
        + at.plusSeconds(60)
        + "\"}";
  }

  /** The latest cumulative value of a counter, for one outcome (or all points when null). */
  private static long sum(OtlpReceiver receiver, String name, String outcome) {
    List<Metric> exports =
        receiver.metrics().stream().filter(m -> m.getName().equals(name)).toList();
    if (exports.isEmpty()) {
      return -1;
    }
    return exports.get(exports.size() - 1).getSum().getDataPointsList().stream()
        .filter(
            p ->
                outcome == null
                    || p.getAttributesList().stream()
                        .anyMatch(
                            a ->
                                a.getKey().equals("spanlinks.outcome")
                                    && a.getValue().getStringValue().equals(outcome)))
        .mapToLong(NumberDataPoint::getAsInt)
        .sum();
  }

  private static long histogramCount(OtlpReceiver receiver, String name) {
    List<Metric> exports =
        receiver.metrics().stream().filter(m -> m.getName().equals(name)).toList();
    return exports.isEmpty()
        ? -1
        : exports.get(exports.size() - 1).getHistogram().getDataPoints(0).getCount();
  }
}
