package dev.spanlinks.app.orders;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.RetryingExceptionHandler;
import dev.spanlinks.streams.SpanlinksTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Embed the topology" wiring, as written there: the topology and the Kafka Streams
 * properties both get the application's OpenTelemetry, so the dead-letter handler (which Kafka
 * Streams creates from its configuration) counts into the same meter as the topology.
 */
class EmbedExampleTest {
  @TempDir Path stateDir;

  /** The example's client, as written there, with the thread-replacing handler (not started). */
  @Test
  void shouldBuildTheExamplesClientWithTheRetryingHandler() {
    BatchConfig config =
        new BatchConfig(
            Map.of("application.id", "order-batches", "bootstrap.servers", "localhost:9092"));
    try (OpenTelemetrySdk otel =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SpanlinksTelemetry.withBatchSupport(
                        SdkTracerProvider.builder(), config.linksPerSpan())
                    .build())
            .build()) {
      Properties properties = config.streamsProperties(otel);
      properties.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
      KafkaStreams streams = new KafkaStreams(OrdersTopology.build(config, otel), properties);
      try {
        streams.setUncaughtExceptionHandler(new RetryingExceptionHandler());
        assertThat(streams.state()).isEqualTo(KafkaStreams.State.CREATED);
      } finally {
        streams.close();
      }
    }
  }

  @Test
  void shouldCountDeadLettersWithTheEmbeddersOpenTelemetry() {
    InMemoryMetricReader metrics = InMemoryMetricReader.create();
    BatchConfig config =
        new BatchConfig(
            Map.of("application.id", "order-batches", "bootstrap.servers", "localhost:9092"));
    try (OpenTelemetrySdk otel =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SpanlinksTelemetry.withBatchSupport(
                        SdkTracerProvider.builder(), config.linksPerSpan())
                    .build())
            .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
            .build()) {
      Properties properties = config.streamsProperties(otel);
      properties.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
      try (TopologyTestDriver driver =
          new TopologyTestDriver(OrdersTopology.build(config, otel), properties)) {
        driver
            .createInputTopic(
                config.ordersTopic(),
                new StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())
            .pipeInput("eu", "not an order".getBytes(StandardCharsets.UTF_8), Instant.now());
      }

      long deadLettered =
          metrics.collectAllMetrics().stream()
              .filter(metric -> metric.getName().equals("spanlinks.orders"))
              .map(MetricData::getLongSumData)
              .flatMap(sum -> sum.getPoints().stream())
              .filter(
                  point ->
                      "dead_lettered"
                          .equals(
                              point
                                  .getAttributes()
                                  .get(AttributeKey.stringKey("spanlinks.outcome"))))
              .mapToLong(LongPointData::getValue)
              .sum();
      assertThat(deadLettered).isEqualTo(1);
    }
  }
}
