package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.app.orders.OrderSerdes;
import dev.spanlinks.demo.EmbeddedKafka;
import dev.spanlinks.demo.EmbeddedKafka.ScramUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streams app and the demo producer against a broker that requires SASL/SCRAM-SHA-512, with the
 * password once in the config file and once from the environment through Kafka's {@code env} config
 * provider. Each run's whole output (Kafka's config dump at INFO included) must never hold the
 * password or the JAAS line; a wrong password must end the process with one clear line.
 *
 * <p>The broker is this class's own (the shared one has no SASL listener).
 */
class SaslIT {
  // Distinctive, so that finding one in a log can only mean a leak.
  private static final ScramUser APP =
      new ScramUser("spanlinks-app", "app-pw-" + UUID.randomUUID().toString().replace("-", ""));
  private static final String WRONG_PASSWORD =
      "wrong-pw-" + UUID.randomUUID().toString().replace("-", "");
  private static final String ENV_CONFIG_PROVIDER =
      "org.apache.kafka.common.config.provider.EnvVarConfigProvider";
  private static final int ORDERS = 90;
  // Kafka clients log their whole config at INFO, Password-typed values as [hidden]; the jars
  // otherwise keep org.apache.kafka at WARN. The leak check needs that dump in the log.
  private static final List<String> KAFKA_INFO_LOGGING =
      List.of("-Dorg.slf4j.simpleLogger.log.org.apache.kafka=info");
  private static final Map<String, String> NO_TELEMETRY =
      Map.of(
          "OTEL_TRACES_EXPORTER", "none",
          "OTEL_METRICS_EXPORTER", "none",
          "OTEL_LOGS_EXPORTER", "none");

  private static EmbeddedKafka broker;

  @BeforeAll
  static void startSaslBroker() throws Exception {
    broker = EmbeddedKafka.startWithSasl(List.of(APP), Map.of("num.partitions", "3"));
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void shouldBatchOverSaslWithThePasswordInTheConfigFileAndNeverPrintIt(@TempDir Path dir)
      throws Exception {
    String id = "sasl-file-" + UUID.randomUUID().toString().substring(0, 6);
    Map<String, String> security = APP.clientProperties();

    Runs runs = runPipeline(dir, id, security, Map.of());

    assertNoSecretIn(runs.streamsLog());
    assertNoSecretIn(runs.producerLog());
  }

  @Test
  void shouldBatchOverSaslWithThePasswordFromTheEnvironmentAndNeverPrintIt(@TempDir Path dir)
      throws Exception {
    String id = "sasl-env-" + UUID.randomUUID().toString().substring(0, 6);
    Map<String, String> security = new HashMap<>(APP.clientProperties());
    security.put("config.providers", "env");
    security.put("config.providers.env.class", ENV_CONFIG_PROVIDER);
    security.put("config.providers.env.param.allowlist.pattern", "SPANLINKS_KAFKA_.*");
    security.put(
        "sasl.jaas.config",
        new ScramUser(APP.name(), "PLACEHOLDER")
            .jaasConfig()
            .replace("PLACEHOLDER", "${env:SPANLINKS_KAFKA_PASSWORD}"));

    Runs runs = runPipeline(dir, id, security, Map.of("SPANLINKS_KAFKA_PASSWORD", APP.password()));

    assertThat(Files.readString(runs.streamsConfig())).doesNotContain(APP.password());
    assertNoSecretIn(runs.streamsLog());
    assertNoSecretIn(runs.producerLog());
  }

  @Test
  void shouldFailInOneLineWithoutPrintingThePasswordWhenItIsWrong(@TempDir Path dir)
      throws Exception {
    String id = "sasl-wrong-" + UUID.randomUUID().toString().substring(0, 6);
    Map<String, String> security = new ScramUser(APP.name(), WRONG_PASSWORD).clientProperties();
    Path config = ItSupport.streamsConfig(dir, broker.bootstrapServers(), id, security);
    Path logs = ItSupport.logs();
    String expected =
        "Cannot connect to Kafka at "
            + broker.bootstrapServers()
            + ": authentication failed (Authentication failed during authentication due to"
            + " invalid credentials with SASL mechanism SCRAM-SHA-512)";

    try (ChildJvm streams =
        ChildJvm.start(
            KAFKA_INFO_LOGGING,
            ItSupport.STREAMS_JAR,
            List.of("run", "--config", config.toString(), "--startup-timeout", "PT20S"),
            NO_TELEMETRY,
            logs.resolve(id + "-streams.log"))) {
      assertThat(streams.awaitExit(60)).as(streams.output()).isEqualTo(1);
      String log = streams.output();
      assertThat(log).contains("spanlinks: " + expected + "\n");
      assertNoStackTraceIn(log);
      assertNoSecretIn(log, WRONG_PASSWORD);
    }

    Path producerConfig = producerConfig(dir, security);
    try (ChildJvm producer =
        ChildJvm.start(
            KAFKA_INFO_LOGGING,
            ItSupport.DEMO_JAR,
            List.of("produce", "--config", producerConfig.toString(), "--topic", "orders-" + id),
            NO_TELEMETRY,
            logs.resolve(id + "-producer.log"))) {
      assertThat(producer.awaitExit(60)).as(producer.output()).isEqualTo(1);
      String log = producer.output();
      assertThat(log).contains("producer-demo: " + expected + "\n");
      assertNoStackTraceIn(log);
      assertNoSecretIn(log, WRONG_PASSWORD);
    }
  }

  /** What a run left behind for the leak checks. */
  private record Runs(Path streamsConfig, String streamsLog, String producerLog) {}

  /**
   * Runs {@code streams-app.jar run} and {@code producer-demo.jar produce} with {@code security} in
   * their config files and {@code env} in their environments, waits until every order is in a batch
   * (read over SASL), stops the app with SIGTERM, and returns both logs.
   */
  private static Runs runPipeline(
      Path dir, String id, Map<String, String> security, Map<String, String> env) throws Exception {
    Map<String, String> extra = new HashMap<>(security);
    // The last hour closes once the input has been quiet this long.
    extra.put("spanlinks.idle.close.ms", "5000");
    Path config = ItSupport.streamsConfig(dir, broker.bootstrapServers(), id, extra);
    Path producerConfig = producerConfig(dir, security);
    Path logs = ItSupport.logs();
    try (OtlpReceiver receiver = new OtlpReceiver()) {
      // Orders first: the app's tasks then see input at once, so its wall-clock idle close (which
      // would close these past hours as soon as a task sat idle) cannot make them late.
      Instant start = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(4));
      ChildJvm producer =
          ChildJvm.start(
              KAFKA_INFO_LOGGING,
              ItSupport.DEMO_JAR,
              List.of(
                  "produce",
                  "--config",
                  producerConfig.toString(),
                  "--topic",
                  "orders-" + id,
                  "--count",
                  Integer.toString(ORDERS),
                  "--rate",
                  "300",
                  "--start",
                  start.toString(),
                  // 90 orders over three simulated hours
                  "--speed",
                  "36000",
                  "--seed",
                  "11"),
              childEnv(receiver, env),
              logs.resolve(id + "-producer.log"));
      assertThat(producer.awaitExit(60)).as(producer.output()).isZero();
      assertThat(producer.output()).contains("produced " + ORDERS + " orders to orders-" + id);

      try (ChildJvm streams =
          ChildJvm.start(
              KAFKA_INFO_LOGGING,
              ItSupport.STREAMS_JAR,
              List.of("run", "--config", config.toString(), "--partitions", "3"),
              childEnv(receiver, env),
              logs.resolve(id + "-streams.log"))) {
        await("streams app running")
            .atMost(Duration.ofSeconds(60))
            .until(() -> streams.output().contains("spanlinks running"));

        List<OrderBatch> batches = awaitBatches("batches-" + id);
        assertThat(batches).hasSizeGreaterThanOrEqualTo(3);
        assertThat(batches.stream().mapToLong(OrderBatch::orderCount).sum()).isEqualTo(ORDERS);
        assertThat(batches.stream().mapToLong(OrderBatch::linkedCount).sum()).isEqualTo(ORDERS);

        assertThat(streams.terminate(60)).as("clean stop on SIGTERM").isIn(0, 143);
        assertThat(streams.output()).contains("spanlinks stopped cleanly");
        return new Runs(config, streams.output(), producer.output());
      }
    }
  }

  /** Spans go to a receiver of ours: the orders' trace context must reach the batches. */
  private static Map<String, String> childEnv(OtlpReceiver receiver, Map<String, String> env) {
    Map<String, String> childEnv = new HashMap<>(env);
    childEnv.put("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.httpEndpoint());
    childEnv.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
    childEnv.put("OTEL_BSP_SCHEDULE_DELAY", "100");
    childEnv.put("OTEL_METRICS_EXPORTER", "none");
    childEnv.put("OTEL_LOGS_EXPORTER", "none");
    return childEnv;
  }

  private static Path producerConfig(Path dir, Map<String, String> security) throws Exception {
    List<String> lines = new ArrayList<>();
    lines.add("bootstrap.servers=" + broker.bootstrapServers());
    security.forEach((key, value) -> lines.add(key + "=" + value));
    return Files.writeString(dir.resolve("producer.properties"), String.join("\n", lines) + "\n");
  }

  /** Reads the output topic over SASL, as a downstream consumer, until every order is batched. */
  private static List<OrderBatch> awaitBatches(String topic) {
    Map<String, Object> config = new HashMap<>(APP.clientProperties());
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<OrderBatch> batches = new ArrayList<>();
    try (KafkaConsumer<String, OrderBatch> consumer =
        new KafkaConsumer<>(
            config, new StringDeserializer(), OrderSerdes.orderBatchDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(info -> new TopicPartition(topic, info.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      await("all " + ORDERS + " orders batched in " + topic)
          .atMost(Duration.ofSeconds(90))
          .until(
              () -> {
                for (ConsumerRecord<String, OrderBatch> record :
                    consumer.poll(Duration.ofMillis(200))) {
                  batches.add(record.value());
                }
                return batches.stream().mapToLong(OrderBatch::orderCount).sum() >= ORDERS;
              });
    }
    return batches;
  }

  /**
   * The log is a real one (Kafka's config dump with the SASL settings, the password hidden) and
   * holds neither the password nor the JAAS line.
   */
  private static void assertNoSecretIn(String log) {
    assertNoSecretIn(log, APP.password());
  }

  private static void assertNoSecretIn(String log, String password) {
    assertThat(log)
        .as("Kafka's config dump, so the check below reads a real log")
        .contains("sasl.mechanism = SCRAM-SHA-512", "sasl.jaas.config = [hidden]");
    // Not through AssertJ's message: a failing contains-check would print the secret itself.
    List<String> leaks =
        List.of(password, APP.password(), APP.jaasConfig(), "ScramLoginModule").stream()
            .filter(log::contains)
            .map(secret -> secret.equals("ScramLoginModule") ? secret : "a secret")
            .collect(Collectors.toList());
    assertThat(leaks).as("secrets found in the log").isEmpty();
  }

  private static void assertNoStackTraceIn(String log) {
    assertThat(log.lines().filter(line -> line.startsWith("\tat ")).count())
        .as("stack trace lines in:\n" + log)
        .isZero();
  }
}
