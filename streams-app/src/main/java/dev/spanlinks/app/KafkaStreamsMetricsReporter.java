package dev.spanlinks.app;

import dev.spanlinks.streams.DeadLetterHandler;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableDoubleCounter;
import io.opentelemetry.api.metrics.ObservableDoubleGauge;
import io.opentelemetry.api.metrics.ObservableDoubleMeasurement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricsReporter;
import org.apache.kafka.common.metrics.stats.CumulativeSum;

/**
 * Kafka Streams' own metrics (client, stream thread, task and state updater levels: process rate,
 * commit latency, restore progress, dropped records, alive threads) as OpenTelemetry instruments of
 * the application's SDK.
 *
 * <p>OpenTelemetry's Kafka client library, which bridges the consumers' and producers' metrics,
 * maps only metric groups whose name contains {@code consumer} or {@code producer} (its {@code
 * KafkaMetricRegistry}, 2.31.1-alpha) and drops Kafka Streams' {@code stream-*} groups. This
 * reporter fills that gap with the library's conventions: {@code kafka.streams.<level>.<name>},
 * dashes in the name as underscores, Kafka's tags as attributes, cumulative sums and counts as
 * counters and everything else as gauges. Processor-node, state-store, record-cache and topic
 * levels are left out: mostly DEBUG-level sensors that stay empty at Kafka Streams' default
 * recording level, one series per node or store.
 *
 * <p>Kafka instantiates it by class name from {@code metric.reporters}: the clients' registries
 * configure it too, and it ignores their groups. A value that is not a finite number (a rate
 * without samples yet, a string gauge) is skipped, never an error.
 */
public final class KafkaStreamsMetricsReporter implements MetricsReporter {
  static final String SCOPE = "dev.spanlinks.kafka-streams-metrics";
  private static final Map<String, String> PREFIXES =
      Map.of(
          "stream-metrics", "kafka.streams.",
          "stream-thread-metrics", "kafka.streams.thread.",
          "stream-task-metrics", "kafka.streams.task.",
          "stream-state-updater-metrics", "kafka.streams.state_updater.");

  private final ConcurrentMap<String, Instrument> instruments = new ConcurrentHashMap<>();
  private volatile Meter meter = OpenTelemetry.noop().getMeter(SCOPE);

  /** The instrument name for a Kafka Streams metric, or null for a group left out. */
  static String instrumentName(MetricName name) {
    String prefix = PREFIXES.get(name.group());
    return prefix == null ? null : prefix + name.name().replace('-', '_');
  }

  @Override
  public void configure(Map<String, ?> configs) {
    Object openTelemetry = configs.get(DeadLetterHandler.OPEN_TELEMETRY_CONFIG);
    if (openTelemetry instanceof OpenTelemetry given) {
      meter = given.getMeter(SCOPE);
    }
  }

  @Override
  public void init(List<KafkaMetric> metrics) {
    metrics.forEach(this::metricChange);
  }

  @Override
  public void metricChange(KafkaMetric metric) {
    String name = instrumentName(metric.metricName());
    if (name == null) {
      return;
    }
    // A metric re-registered under the same name (a replaced thread, a revived task) replaces
    // the old one: the map is keyed by Kafka's metric name, tags included.
    instruments
        .computeIfAbsent(name, key -> new Instrument(meter, key, metric))
        .metrics
        .put(metric.metricName(), new Observed(metric, attributes(metric.metricName())));
  }

  @Override
  public void metricRemoval(KafkaMetric metric) {
    String name = instrumentName(metric.metricName());
    Instrument instrument = name == null ? null : instruments.get(name);
    if (instrument != null) {
      instrument.metrics.remove(metric.metricName());
    }
  }

  @Override
  public void close() {
    instruments.values().forEach(Instrument::close);
    instruments.clear();
  }

  private static Attributes attributes(MetricName name) {
    AttributesBuilder attributes = Attributes.builder();
    name.tags().forEach(attributes::put);
    return attributes.build();
  }

  private record Observed(KafkaMetric metric, Attributes attributes) {}

  /** One OpenTelemetry instrument and the Kafka metrics (one per tag set) it reports. */
  private static final class Instrument {
    private final ConcurrentMap<MetricName, Observed> metrics = new ConcurrentHashMap<>();
    private final Runnable unregister;

    Instrument(Meter meter, String name, KafkaMetric first) {
      String description = first.metricName().description();
      if (first.isMeasurable() && first.measurable() instanceof CumulativeSum) {
        ObservableDoubleCounter counter =
            meter
                .counterBuilder(name)
                .setDescription(description)
                .ofDoubles()
                .buildWithCallback(this::observe);
        unregister = counter::close;
      } else {
        ObservableDoubleGauge gauge =
            meter.gaugeBuilder(name).setDescription(description).buildWithCallback(this::observe);
        unregister = gauge::close;
      }
    }

    private void observe(ObservableDoubleMeasurement measurement) {
      for (Observed observed : metrics.values()) {
        if (observed.metric().metricValue() instanceof Number number
            && Double.isFinite(number.doubleValue())) {
          measurement.record(number.doubleValue(), observed.attributes());
        }
      }
    }

    void close() {
      unregister.run();
    }
  }
}
