package dev.spanlinks.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.DeadLetterHandler;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.DoublePointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Kafka Streams' own metric groups through a real Kafka metrics registry into the SDK. */
class KafkaStreamsMetricsReporterTest {
  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final OpenTelemetrySdk sdk =
      OpenTelemetrySdk.builder()
          .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(reader).build())
          .build();
  private Metrics metrics;

  @BeforeEach
  void registry() {
    KafkaStreamsMetricsReporter reporter = new KafkaStreamsMetricsReporter();
    reporter.configure(Map.of(DeadLetterHandler.OPEN_TELEMETRY_CONFIG, sdk));
    metrics = new Metrics(new MetricConfig(), List.of(reporter), Time.SYSTEM);
  }

  @AfterEach
  void close() {
    metrics.close();
    sdk.close();
  }

  @Test
  void shouldReportThreadLevelRatesAsGaugesAndTotalsAsCounters() {
    Sensor process = metrics.sensor("process");
    Map<String, String> tags = Map.of("thread-id", "app-StreamThread-1");
    process.add(new MetricName("process-rate", "stream-thread-metrics", "", tags), new Rate());
    process.add(
        new MetricName("process-total", "stream-thread-metrics", "", tags), new CumulativeCount());
    for (int n = 0; n < 7; n++) {
      process.record();
    }

    MetricData rate = metric("kafka.streams.thread.process_rate").orElseThrow();
    assertThat(rate.getType()).isEqualTo(MetricDataType.DOUBLE_GAUGE);
    DoublePointData ratePoint = rate.getDoubleGaugeData().getPoints().iterator().next();
    assertThat(ratePoint.getValue()).isPositive();
    assertThat(ratePoint.getAttributes().get(AttributeKey.stringKey("thread-id")))
        .isEqualTo("app-StreamThread-1");

    MetricData total = metric("kafka.streams.thread.process_total").orElseThrow();
    assertThat(total.getType()).isEqualTo(MetricDataType.DOUBLE_SUM);
    assertThat(total.getDoubleSumData().isMonotonic()).isTrue();
    assertThat(total.getDoubleSumData().getPoints().iterator().next().getValue()).isEqualTo(7.0);
  }

  @Test
  void shouldLeaveOutOtherGroupsAndRemovedMetrics() {
    Sensor node = metrics.sensor("node");
    node.add(
        new MetricName("process-rate", "stream-processor-node-metrics", "", Map.of()), new Rate());
    node.add(
        new MetricName("records-lag-max", "consumer-fetch-manager-metrics", "", Map.of()),
        new Rate());
    Sensor restore = metrics.sensor("restore");
    restore.add(
        new MetricName("restore-total", "stream-task-metrics", "", Map.of("task-id", "0_1")),
        new CumulativeCount());
    restore.record(3);
    assertThat(metric("kafka.streams.task.restore_total")).isPresent();

    metrics.removeSensor("restore");

    assertThat(reader.collectAllMetrics())
        .extracting(MetricData::getName)
        .doesNotContain("kafka.streams.task.restore_total")
        .noneMatch(name -> name.contains("records_lag") || name.contains("process_rate"));
  }

  @Test
  void shouldNameClientAndStateUpdaterLevels() {
    assertThat(
            KafkaStreamsMetricsReporter.instrumentName(
                new MetricName("alive-stream-threads", "stream-metrics", "", Map.of())))
        .isEqualTo("kafka.streams.alive_stream_threads");
    assertThat(
            KafkaStreamsMetricsReporter.instrumentName(
                new MetricName("restore-ratio", "stream-state-updater-metrics", "", Map.of())))
        .isEqualTo("kafka.streams.state_updater.restore_ratio");
    assertThat(
            KafkaStreamsMetricsReporter.instrumentName(
                new MetricName("put-rate", "stream-state-metrics", "", Map.of())))
        .isNull();
  }

  private Optional<MetricData> metric(String name) {
    return reader.collectAllMetrics().stream().filter(m -> m.getName().equals(name)).findFirst();
  }
}
