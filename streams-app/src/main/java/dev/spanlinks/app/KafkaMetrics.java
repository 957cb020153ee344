package dev.spanlinks.app;

import dev.spanlinks.streams.DeadLetterHandler;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.instrumentation.kafkaclients.v2_6.KafkaTelemetry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Puts Kafka's own metrics beside spanlinks' in the application's OpenTelemetry SDK, through the
 * Kafka Streams configuration: Kafka Streams hands {@code metric.reporters} and every key it does
 * not know to each client it creates (main, restore and global consumers, producers, admin) and
 * configures the same reporters for its own metrics.
 *
 * <ul>
 *   <li>The clients' metrics (consumer lag, fetch and commit latency, rebalances, producer
 *       throughput): OpenTelemetry's Kafka client library, {@link
 *       KafkaTelemetry#metricConfigProperties()}. Not under the Java agent, whose Kafka
 *       instrumentation adds the same reporter to every client itself.
 *   <li>Kafka Streams' own metrics (process rate, commit latency, restore): {@link
 *       KafkaStreamsMetricsReporter}, as the library maps client metric groups only.
 * </ul>
 *
 * <p>A user's own {@code metric.reporters} are kept, first. {@code
 * OTEL_INSTRUMENTATION_KAFKA_CLIENTS_METRICS_ENABLED=false} (the Java agent's switch for the same
 * reporter, also as the system property {@code otel.instrumentation.kafka-clients-metrics.enabled})
 * leaves both out.
 */
final class KafkaMetrics {
  static final String ENABLED_PROPERTY = "otel.instrumentation.kafka-clients-metrics.enabled";
  static final String ENABLED_VARIABLE = "OTEL_INSTRUMENTATION_KAFKA_CLIENTS_METRICS_ENABLED";
  private static final String REPORTERS = CommonClientConfigs.METRIC_REPORTER_CLASSES_CONFIG;

  private KafkaMetrics() {}

  /** As OpenTelemetry reads a boolean: the system property first, then the variable; default on. */
  static boolean enabled(UnaryOperator<String> systemProperties, UnaryOperator<String> variables) {
    String value = systemProperties.apply(ENABLED_PROPERTY);
    if (value == null || value.isBlank()) {
      value = variables.apply(ENABLED_VARIABLE);
    }
    return value == null || value.isBlank() || Boolean.parseBoolean(value.trim());
  }

  static boolean enabled() {
    return enabled(System::getProperty, System::getenv);
  }

  /**
   * Adds the reporters and what they need to {@code streamsProperties}: the OpenTelemetry instance
   * under {@link DeadLetterHandler#OPEN_TELEMETRY_CONFIG} for Kafka Streams' reporter.
   *
   * @param clientReporter whether to add the Kafka client library's reporter (false under the Java
   *     agent, which adds it to every client itself)
   * @throws org.apache.kafka.common.config.ConfigException when the user's {@code metric.reporters}
   *     is not a list
   */
  static void addReporters(
      Properties streamsProperties, OpenTelemetry openTelemetry, boolean clientReporter) {
    List<Object> reporters = new ArrayList<>();
    Object own = streamsProperties.get(REPORTERS);
    if (own != null) {
      reporters.addAll((List<?>) ConfigDef.parseType(REPORTERS, own, ConfigDef.Type.LIST));
    }
    if (clientReporter) {
      for (Map.Entry<String, ?> entry :
          KafkaTelemetry.create(openTelemetry).metricConfigProperties().entrySet()) {
        if (entry.getKey().equals(REPORTERS)) {
          ((List<?>) entry.getValue()).forEach(reporter -> addOnce(reporters, reporter));
        } else {
          streamsProperties.put(entry.getKey(), entry.getValue());
        }
      }
    }
    addOnce(reporters, KafkaStreamsMetricsReporter.class);
    streamsProperties.put(REPORTERS, reporters);
    streamsProperties.put(DeadLetterHandler.OPEN_TELEMETRY_CONFIG, openTelemetry);
  }

  /** Kafka refuses a reporter listed twice, be it once by name and once as a class. */
  private static void addOnce(List<Object> reporters, Object reporter) {
    if (reporters.stream().noneMatch(listed -> className(listed).equals(className(reporter)))) {
      reporters.add(reporter);
    }
  }

  private static String className(Object reporter) {
    return reporter instanceof Class<?> type ? type.getName() : reporter.toString().trim();
  }
}
