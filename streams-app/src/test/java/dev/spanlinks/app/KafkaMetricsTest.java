package dev.spanlinks.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.BatchConfig;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The reporters reach every client Kafka Streams creates, after the user's own. */
class KafkaMetricsTest {
  private static final String CLIENT_REPORTER =
      "io.opentelemetry.instrumentation.kafkaclients.common.v0_11.internal"
          + ".OpenTelemetryMetricsReporter";
  private static final String STREAMS_REPORTER = KafkaStreamsMetricsReporter.class.getName();

  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final OpenTelemetrySdk sdk =
      OpenTelemetrySdk.builder()
          .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(reader).build())
          .build();

  @AfterEach
  void close() {
    sdk.close();
  }

  @Test
  void shouldReachEveryClientThatKafkaStreamsCreates() {
    StreamsConfig config = new StreamsConfig(withReporters(Map.of(), true));

    List<Map<String, Object>> clients =
        List.of(
            config.getMainConsumerConfigs("group", "app-StreamThread-1-consumer", 0),
            config.getRestoreConsumerConfigs("app-StreamThread-1-restore-consumer"),
            config.getGlobalConsumerConfigs("app-global-consumer"),
            config.getProducerConfigs("app-StreamThread-1-producer"),
            config.getAdminConfigs("app-admin"));
    for (Map<String, Object> client : clients) {
      assertThat(names(client.get(StreamsConfig.METRIC_REPORTER_CLASSES_CONFIG)))
          .containsExactly(CLIENT_REPORTER, STREAMS_REPORTER);
      assertThat(client)
          .containsKeys("opentelemetry.supplier", "opentelemetry.instrumentation_name");
    }
  }

  @Test
  void shouldReportAClientsMetricsThroughTheSdk() {
    StreamsConfig config = new StreamsConfig(withReporters(Map.of(), true));
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            config.getRestoreConsumerConfigs("app-StreamThread-1-restore-consumer"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      assertThat(consumer.metrics().keySet())
          .anyMatch(name -> name.name().equals("connection-count"));
      assertThat(reader.collectAllMetrics())
          .extracting(MetricData::getName)
          .contains("kafka.consumer.connection_count");
    }
  }

  @Test
  void shouldKeepTheUsersReportersFirstAndListNoneTwice() {
    Properties properties =
        withReporters(
            Map.of(
                StreamsConfig.METRIC_REPORTER_CLASSES_CONFIG,
                " org.apache.kafka.common.metrics.JmxReporter , " + STREAMS_REPORTER),
            true);

    assertThat(names(properties.get(StreamsConfig.METRIC_REPORTER_CLASSES_CONFIG)))
        .containsExactly(
            "org.apache.kafka.common.metrics.JmxReporter", STREAMS_REPORTER, CLIENT_REPORTER);
    // Kafka refuses duplicates: the configuration must still be valid.
    assertThat(new StreamsConfig(properties).getList(StreamsConfig.METRIC_REPORTER_CLASSES_CONFIG))
        .hasSize(3);
  }

  @Test
  void shouldLeaveTheClientsToTheJavaAgent() {
    Properties properties = withReporters(Map.of(), false);

    assertThat(names(properties.get(StreamsConfig.METRIC_REPORTER_CLASSES_CONFIG)))
        .containsExactly(STREAMS_REPORTER);
    assertThat(properties).doesNotContainKey("opentelemetry.supplier");
  }

  @Test
  void shouldBeOnUnlessSwitchedOffAsOpenTelemetryReadsBooleans() {
    assertThat(KafkaMetrics.enabled(key -> null, key -> null)).isTrue();
    assertThat(KafkaMetrics.enabled(key -> null, key -> "false")).isFalse();
    assertThat(KafkaMetrics.enabled(key -> null, key -> " FALSE ")).isFalse();
    assertThat(KafkaMetrics.enabled(key -> "true", key -> "false")).isTrue();
    assertThat(KafkaMetrics.enabled(key -> "false", key -> null)).isFalse();
    assertThat(
            KafkaMetrics.enabled(
                key -> key.equals(KafkaMetrics.ENABLED_PROPERTY) ? "false" : null, key -> null))
        .isFalse();
    assertThat(
            KafkaMetrics.enabled(
                key -> null, key -> key.equals(KafkaMetrics.ENABLED_VARIABLE) ? "false" : null))
        .isFalse();
  }

  private Properties withReporters(Map<String, Object> own, boolean clientReporter) {
    Map<String, Object> settings = new java.util.HashMap<>(own);
    settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "app");
    settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
    Properties properties = new BatchConfig(settings).streamsProperties();
    KafkaMetrics.addReporters(properties, sdk, clientReporter);
    return properties;
  }

  private static List<String> names(Object reporters) {
    return ((List<?>) reporters)
        .stream()
            .map(r -> r instanceof Class<?> type ? type.getName() : r.toString().trim())
            .toList();
  }
}
