package dev.spanlinks.demo;

import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.ProducerConfig;
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
      required = true,
      description = "Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS).")
  String bootstrapServers;

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
    try (OpenTelemetrySdk openTelemetry = producerTelemetry();
        OrderProducer producer =
            new OrderProducer(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), openTelemetry)) {
      OrderProducer.Result result = producer.produce(settings, spec.commandLine().getErr());
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
