package dev.spanlinks.demo;

import dev.spanlinks.app.KafkaClientOptions;
import dev.spanlinks.app.StartupException;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code produce}: traced orders to a topic. OpenTelemetry reads its {@code OTEL_*} variables. */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description = "Produce orders, each sent from a traced (simulated) API request.")
final class ProduceCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--bootstrap-servers",
      defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS}",
      description =
          "Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS, or the config file's).")
  String bootstrapServers;

  @Option(
      names = "--config",
      description =
          "Properties file of Kafka producer keys (security.protocol, sasl.*, ssl.*,"
              + " config.providers, ...); --bootstrap-servers overrides its bootstrap.servers.")
  Path configFile;

  @Option(names = "--topic", defaultValue = "orders", description = "Default: ${DEFAULT-VALUE}.")
  String topic;

  @Option(names = "--count", defaultValue = "1000", description = "Orders to send.")
  int count;

  @Option(names = "--rate", defaultValue = "100", description = "Orders per second.")
  double rate;

  @Option(
      names = "--batch-keys",
      split = ",",
      defaultValue = "eu,us,apac",
      description = "Batch keys, used in turn (default: ${DEFAULT-VALUE}).")
  List<String> batchKeys;

  @Option(
      names = "--start",
      description = "Event time of the first order, ISO-8601 (default: now).")
  Instant start;

  @Option(
      names = "--speed",
      defaultValue = "1",
      description = "Event-time acceleration: 360 makes one simulated hour per 10 s.")
  double speed;

  @Option(names = "--invalid-ratio", defaultValue = "0", description = "Share of invalid orders.")
  double invalidRatio;

  @Option(
      names = "--untraced-ratio",
      defaultValue = "0",
      description = "Share of orders sent without trace context.")
  double untracedRatio;

  @Option(names = "--seed", description = "Random seed, for a repeatable run.")
  Long seed;

  @Override
  public Integer call() throws Exception {
    validate();
    OrderProducer.Settings settings =
        new OrderProducer.Settings(
            topic,
            count,
            rate,
            batchKeys,
            start == null ? Instant.now() : start,
            speed,
            invalidRatio,
            untracedRatio,
            seed == null ? System.nanoTime() : seed);
    Map<String, Object> kafkaSettings = kafkaSettings();
    Object bootstrap = kafkaSettings.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG);
    try (OpenTelemetrySdk openTelemetry = producerTelemetry();
        OrderProducer producer = new OrderProducer(kafkaSettings, openTelemetry)) {
      OrderProducer.Result result;
      try {
        result = producer.produce(settings, spec.commandLine().getErr());
      } catch (AuthenticationException e) {
        throw StartupException.authenticationFailed(bootstrap, e);
      } catch (KafkaException e) {
        throw new StartupException(
            "Cannot send to Kafka at " + bootstrap + ": " + e.getMessage(), e);
      }
      spec.commandLine()
          .getOut()
          .printf(
              "produced %,d orders to %s: %,d invalid, %,d without trace context%n",
              result.produced(), topic, result.invalid(), result.untraced());
      openTelemetry
          .getSdkTracerProvider()
          .forceFlush()
          .join(10, java.util.concurrent.TimeUnit.SECONDS);
    }
    return 0;
  }

  /** The config file's keys, then {@code --bootstrap-servers} over its bootstrap.servers. */
  private Map<String, Object> kafkaSettings() throws IOException {
    Map<String, Object> settings = new HashMap<>();
    if (configFile != null) {
      settings.putAll(KafkaClientOptions.loadProperties(configFile));
    }
    if (bootstrapServers != null && !bootstrapServers.isBlank()) {
      settings.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    }
    if (!settings.containsKey(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(),
          "No Kafka cluster given: use --bootstrap-servers, KAFKA_BOOTSTRAP_SERVERS, or"
              + " bootstrap.servers in --config");
    }
    return settings;
  }

  private void validate() {
    if (count < 1 || rate <= 0 || speed <= 0 || batchKeys.isEmpty()) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(),
          "--count, --rate and --speed must be positive, --batch-keys non-empty");
    }
    if (invalidRatio < 0 || invalidRatio > 1 || untracedRatio < 0 || untracedRatio > 1) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--invalid-ratio and --untraced-ratio must be between 0 and 1");
    }
  }

  /** The producer's own SDK: service {@code order-api} unless OTEL_SERVICE_NAME says otherwise. */
  static OpenTelemetrySdk producerTelemetry() {
    return DemoTelemetry.producer(null);
  }
}
