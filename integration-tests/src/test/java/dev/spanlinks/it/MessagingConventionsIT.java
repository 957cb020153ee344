package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The messaging names in the OTLP the real exporter sends (issue 26), from {@code streams-app.jar
 * run} on a real broker, under each value of {@code OTEL_SEMCONV_STABILITY_OPT_IN}: the variable
 * for one, the system property {@code otel.semconv-stability.opt-in} for another, as users set
 * them. The batch span also carries the client id, the bootstrap server's address and port and the
 * cluster id the brokers report.
 */
@ExtendWith(KafkaClusterExtension.class)
class MessagingConventionsIT {
  private static final Set<String> OLD = Set.of("messaging.system", "messaging.kafka.message.key");
  private static final Set<String> NEW = Set.of("messaging.system.name", "kafka.message.key");

  @ParameterizedTest(name = "opt-in \"{0}\" by {1}")
  @CsvSource({
    "'', nothing, true, false",
    "messaging, variable, false, true",
    "messaging/dup, property, true, true"
  })
  void shouldSendTheNamesTheOptInChooses(
      String optIn, String by, boolean old, boolean current, KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    String id = "semconv-" + by + "-" + UUID.randomUUID().toString().substring(0, 6);
    Path config = ItSupport.streamsConfig(dir, kafka.bootstrapServers(), id, Map.of());
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));

    try (OtlpReceiver receiver = new OtlpReceiver()) {
      Map<String, String> env = new HashMap<>(ItSupport.spansTo(receiver));
      List<String> jvmOptions = List.of();
      if (by.equals("variable")) {
        env.put("OTEL_SEMCONV_STABILITY_OPT_IN", "http," + optIn);
      } else if (by.equals("property")) {
        jvmOptions = List.of("-Dotel.semconv-stability.opt-in=" + optIn);
      }
      try (ChildJvm streams =
          ChildJvm.start(
              jvmOptions,
              ItSupport.STREAMS_JAR,
              List.of("run", "--config", config.toString()),
              env,
              ItSupport.logs().resolve(id + "-streams.log"))) {
        await("streams app running")
            .atMost(Duration.ofSeconds(60))
            .until(() -> streams.output().contains("spanlinks running"));
        try (KafkaProducer<String, String> producer =
            ItSupport.stringProducer(kafka.bootstrapServers())) {
          for (int n = 0; n < 3; n++) {
            ProducerRecord<String, String> order =
                new ProducerRecord<>(
                    "orders-" + id,
                    "eu",
                    "{\"orderId\":\"o-"
                        + n
                        + "\",\"amount\":1,\"currency\":\"EUR\",\"createdAt\":\""
                        + hour.plusSeconds(60L * n)
                        + "\"}");
            String traceparent =
                String.format(Locale.ROOT, "00-%032x-%016x-01", 0x5000 + n, 0x6000 + n);
            order.headers().add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
            producer.send(order).get();
          }
        }
        await("the batch span exported")
            .atMost(Duration.ofSeconds(60))
            .until(() -> !receiver.spansNamed("process orders").isEmpty());
        Span batch = receiver.spansNamed("process orders").get(0);
        Map<String, String> attributes = strings(batch.getAttributesList());

        assertThat(attributes.keySet().containsAll(OLD)).as("old names").isEqualTo(old);
        assertThat(attributes.keySet().stream().anyMatch(OLD::contains)).isEqualTo(old);
        assertThat(attributes.keySet().containsAll(NEW)).as("v1.45 names").isEqualTo(current);
        assertThat(attributes.keySet().stream().anyMatch(NEW::contains)).isEqualTo(current);
        String clusterId = clusterId(kafka.bootstrapServers());
        assertThat(attributes.get("messaging.kafka.cluster.id")).isEqualTo(old ? clusterId : null);
        assertThat(attributes.get("kafka.cluster.id")).isEqualTo(current ? clusterId : null);
        String[] server = kafka.bootstrapServers().split(",")[0].split(":");
        assertThat(attributes)
            .containsEntry("server.address", server[0])
            .containsEntry("server.port", server[1])
            .containsEntry("messaging.destination.name", "orders-" + id)
            .containsEntry("messaging.consumer.group.name", id);
        assertThat(attributes.get("messaging.client.id"))
            .as("Kafka Streams' client id: the application id and the process id")
            .startsWith(id + "-");

        assertThat(batch.getLinksList()).hasSize(3);
        for (Span.Link link : batch.getLinksList()) {
          Set<String> keys =
              link.getAttributesList().stream().map(KeyValue::getKey).collect(Collectors.toSet());
          assertThat(keys.contains("messaging.kafka.offset")).isEqualTo(old);
          assertThat(keys.contains("kafka.offset")).isEqualTo(current);
        }
        assertThat(streams.terminate(60)).isIn(0, 143);
      }
    }
  }

  /** Every attribute as a string (an int value as its digits). */
  private static Map<String, String> strings(List<KeyValue> attributes) {
    Map<String, String> values = new HashMap<>();
    for (KeyValue attribute : attributes) {
      values.put(
          attribute.getKey(),
          attribute.getValue().hasIntValue()
              ? Long.toString(attribute.getValue().getIntValue())
              : attribute.getValue().getStringValue());
    }
    return values;
  }

  private static String clusterId(String bootstrapServers) throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      return admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
    }
  }
}
