package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka Streams' and its clients' metrics leave {@code streams-app.jar} beside spanlinks' own,
 * through the same SDK: over OTLP (decoded from the exporter's bytes) and from the Prometheus
 * endpoint of {@code OTEL_METRICS_EXPORTER=prometheus}. A backlog of orders is waiting before the
 * application starts and its main consumer takes 50 records a poll, so the consumer lag is above
 * zero while it catches up. The Prometheus scrape also holds every metric the Grafana dashboard
 * queries.
 */
@ExtendWith(KafkaClusterExtension.class)
class KafkaMetricsIT {
  /** OpenTelemetry's Kafka client library: consumer-fetch-manager-metrics' records-lag-max. */
  static final String CONSUMER_LAG_MAX = "kafka.consumer.records_lag_max";

  /** spanlinks' bridge of Kafka Streams' own metrics: stream-thread-metrics' process-rate. */
  static final String PROCESS_RATE = "kafka.streams.thread.process_rate";

  private static final int ORDERS = 600;

  @Test
  void shouldExportConsumerLagAndProcessRateOverOtlp(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    String id = "kafka-metrics-otlp-" + UUID.randomUUID().toString().substring(0, 6);
    produceBacklog(kafka, id);
    try (OtlpReceiver receiver = new OtlpReceiver();
        ChildJvm streams =
            startStreams(
                kafka,
                dir,
                id,
                Map.of(
                    "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.httpEndpoint(),
                    "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
                    "OTEL_METRIC_EXPORT_INTERVAL", "500"))) {
      await("consumer lag, process rate and every order counted, over OTLP")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(250))
          .untilAsserted(
              () -> {
                assertThat(streams.isAlive()).as(streams.output()).isTrue();
                assertThat(gaugeMax(receiver, CONSUMER_LAG_MAX, "topic", "orders-" + id))
                    .isPositive();
                assertThat(gaugeMax(receiver, PROCESS_RATE, null, null)).isPositive();
                assertThat(batched(receiver)).isEqualTo(ORDERS - 1);
              });

      assertThat(gaugeMax(receiver, CONSUMER_LAG_MAX, "topic", "orders-" + id))
          .as("never more behind than the backlog")
          .isLessThanOrEqualTo(ORDERS);
      assertThat(gaugeMax(receiver, PROCESS_RATE, null, null))
          .as("records per second, averaged over Kafka's sample window")
          .isLessThan(1_000_000);
      assertThat(pointsOf(receiver, CONSUMER_LAG_MAX))
          .as("per partition of the main consumer")
          .anySatisfy(
              point ->
                  assertThat(attributes(point))
                      .containsEntry("topic", "orders-" + id)
                      .containsEntry("partition", "0")
                      .hasEntrySatisfying(
                          "client-id", client -> assertThat(client).endsWith("-consumer")));
      assertThat(pointsOf(receiver, PROCESS_RATE))
          .anySatisfy(
              point ->
                  assertThat(attributes(point))
                      .hasEntrySatisfying(
                          "thread-id", thread -> assertThat(thread).contains("StreamThread")));
      assertThat(streams.terminate(60)).isIn(0, 143);
    }
  }

  @Test
  void shouldServeTheSameOnPrometheusWithEveryMetricTheDashboardQueries(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    String id = "kafka-metrics-prom-" + UUID.randomUUID().toString().substring(0, 6);
    produceBacklog(kafka, id);
    int port = freePort();
    String url = "http://127.0.0.1:" + port + "/metrics";
    AtomicReference<PrometheusScrape> scrape = new AtomicReference<>();
    try (ChildJvm streams =
        startStreams(
            kafka,
            dir,
            id,
            Map.of(
                "OTEL_METRICS_EXPORTER", "prometheus",
                "OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1",
                "OTEL_EXPORTER_PROMETHEUS_PORT", Integer.toString(port)))) {
      await("consumer lag, process rate and every order counted, on " + url)
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(250))
          .ignoreExceptionsInstanceOf(IOException.class)
          .untilAsserted(
              () -> {
                assertThat(streams.isAlive()).as(streams.output()).isTrue();
                scrape.set(PrometheusScrape.of(url));
                PrometheusScrape now = scrape.get();
                assertThat(now.max("kafka_consumer_records_lag_max", "topic", "orders-" + id))
                    .isPositive();
                assertThat(now.samples("kafka_streams_thread_process_rate"))
                    .anySatisfy(sample -> assertThat(sample.value()).isPositive());
                assertThat(now.max("spanlinks_orders_total", "spanlinks_outcome", "batched"))
                    .isEqualTo(ORDERS - 1);
                assertThat(now.max("spanlinks_orders_total", "spanlinks_outcome", "dead_lettered"))
                    .isEqualTo(1);
              });

      Set<String> exported = scrape.get().names();
      // For a failing test's reader, and for the mapping README describes.
      Files.writeString(
          ItSupport.logs().resolve(id + "-metric-names.txt"), String.join("\n", exported) + "\n");
      Set<String> missing = new TreeSet<>(GrafanaDashboard.read().metricNames());
      missing.removeAll(exported);
      assertThat(missing)
          .as(
              "metrics the dashboard queries but the application does not export; exported:\n"
                  + String.join("\n", exported))
          .isEmpty();
      assertThat(streams.terminate(60)).isIn(0, 143);
    }
  }

  /**
   * {@code ORDERS} orders of one hour three hours back, on one partition, before the application
   * runs: 599 valid (half of them traced) and one that is not an order.
   */
  private static void produceBacklog(KafkaCluster kafka, String id) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic("orders-" + id, 1, (short) 1))).all().get();
    }
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
    try (KafkaProducer<String, String> producer =
        ItSupport.stringProducer(kafka.bootstrapServers())) {
      for (int n = 0; n < ORDERS - 1; n++) {
        ProducerRecord<String, String> order =
            new ProducerRecord<>(
                "orders-" + id,
                n % 3 == 0 ? "eu" : "us",
                "{\"orderId\":\"o-"
                    + n
                    + "\",\"amount\":1,\"currency\":\"EUR\",\"createdAt\":\""
                    + hour.plusSeconds(n)
                    + "\"}");
        if (n % 2 == 0) {
          String traceparent = String.format("00-%032x-%016x-01", n + 1, n + 1);
          order.headers().add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
        }
        producer.send(order);
      }
      producer.send(new ProducerRecord<>("orders-" + id, "eu", "not an order"));
      producer.flush();
    }
  }

  private static ChildJvm startStreams(
      KafkaCluster kafka, Path dir, String id, Map<String, String> otel) throws IOException {
    Path config =
        ItSupport.streamsConfig(
            dir, kafka.bootstrapServers(), id, Map.of("main.consumer.max.poll.records", "50"));
    Map<String, String> env = new HashMap<>(otel);
    env.put("OTEL_TRACES_EXPORTER", "none");
    env.put("OTEL_LOGS_EXPORTER", "none");
    return ChildJvm.start(
        ItSupport.STREAMS_JAR,
        List.of("run", "--config", config.toString(), "--partitions", "1"),
        env,
        ItSupport.logs().resolve(id + "-streams.log"));
  }

  private static List<NumberDataPoint> pointsOf(OtlpReceiver receiver, String name) {
    return receiver.metrics().stream()
        .filter(metric -> metric.getName().equals(name))
        .flatMap(KafkaMetricsIT::points)
        .toList();
  }

  private static Stream<NumberDataPoint> points(Metric metric) {
    return switch (metric.getDataCase()) {
      case GAUGE -> metric.getGauge().getDataPointsList().stream();
      case SUM -> metric.getSum().getDataPointsList().stream();
      default -> Stream.empty();
    };
  }

  /** The largest value any export carried, among points with the attribute (or all: null). */
  private static double gaugeMax(OtlpReceiver receiver, String name, String key, String value) {
    return pointsOf(receiver, name).stream()
        .filter(point -> key == null || value.equals(attributes(point).get(key)))
        .mapToDouble(NumberDataPoint::getAsDouble)
        .max()
        .orElse(Double.NaN);
  }

  /** spanlinks.orders{spanlinks.outcome=batched} in the latest export, or -1. */
  private static long batched(OtlpReceiver receiver) {
    List<Metric> exports =
        receiver.metrics().stream().filter(m -> m.getName().equals("spanlinks.orders")).toList();
    if (exports.isEmpty()) {
      return -1;
    }
    return exports.get(exports.size() - 1).getSum().getDataPointsList().stream()
        .filter(point -> "batched".equals(attributes(point).get("spanlinks.outcome")))
        .mapToLong(NumberDataPoint::getAsInt)
        .sum();
  }

  private static Map<String, String> attributes(NumberDataPoint point) {
    Map<String, String> attributes = new HashMap<>();
    for (KeyValue attribute : point.getAttributesList()) {
      attributes.put(attribute.getKey(), attribute.getValue().getStringValue());
    }
    return attributes;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
