package dev.spanlinks.app;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.SpanlinksTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code run}: runs the topology until SIGTERM or Ctrl-C. Settings come from the config file (Kafka
 * Streams and client keys pass through; ours are {@code spanlinks.*}), then the options override
 * them. OpenTelemetry reads its own {@code OTEL_*} variables.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Run the topology against a Kafka cluster until stopped (SIGTERM, Ctrl-C).",
      "Kafka Streams keeps open windows in state.dir; without one in --config, spanlinks uses"
          + " ./spanlinks-state (not the OS temp directory, which the OS may clear): give each"
          + " instance its own, kept across restarts."
    })
final class RunCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);
  static final String DEFAULT_STATE_DIR = "spanlinks-state";

  @Option(
      names = "--bootstrap-servers",
      defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS}",
      description = "Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS).")
  String bootstrapServers;

  @Option(
      names = "--config",
      description = "Properties file: Kafka Streams and client keys, and spanlinks.* keys.")
  Path configFile;

  @Option(
      names = "--application-id",
      description = "Kafka Streams application.id (default: spanlinks, or the config file's).")
  String applicationId;

  @Option(
      names = "--partitions",
      defaultValue = "-1",
      description = "Partitions of topics it creates (default: the broker's).")
  int partitions;

  @Option(
      names = "--replication-factor",
      defaultValue = "-1",
      description = "Replication factor of topics it creates (default: the broker's).")
  short replicationFactor;

  @Option(
      names = "--create-topics",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Create missing topics (default: ${DEFAULT-VALUE}).")
  boolean createTopics;

  @Option(
      names = "--startup-timeout",
      defaultValue = "PT30S",
      description = "How long to wait for the cluster at start-up, ISO-8601 (default: 30 s).")
  Duration startupTimeout;

  @Option(
      names = "--health-port",
      paramLabel = "PORT",
      defaultValue = "-1",
      description =
          "Serve GET /health/live and /health/ready on this port (0: any free port, logged at"
              + " start). Off by default.")
  int healthPort;

  @Option(
      names = "--health-address",
      defaultValue = "0.0.0.0",
      description =
          "Address the health probes listen on (default: ${DEFAULT-VALUE}, all interfaces, as"
              + " a container needs).")
  String healthAddress;

  @Override
  public Integer call() throws Exception {
    BatchConfig config = new BatchConfig(settings());
    // BatchConfig, as every AbstractConfig, has already run the config providers.
    ConfigVariables.requireResolved(config.originals());
    AtomicReference<StreamsRunner> started = new AtomicReference<>();
    // Up before the cluster checks, so an orchestrator sees a live, not yet ready, instance while
    // it waits for the cluster; closed after everything else.
    HealthServer health = startHealthServer(() -> stateOf(started.get()));
    try {
      return run(config, started, health);
    } finally {
      if (health != null) {
        health.close();
      }
    }
  }

  private int run(BatchConfig config, AtomicReference<StreamsRunner> started, HealthServer health)
      throws InterruptedException {
    OpenTelemetry openTelemetry;
    if (SpanlinksTelemetry.javaAgentAttached()) {
      openTelemetry =
          SpanlinksTelemetry.fromJavaAgent(config.linksPerSpan(), streamThreads(config));
      log.info("OpenTelemetry Java agent attached: batch spans go through the agent's SDK");
    } else {
      openTelemetry =
          SpanlinksTelemetry.autoConfigure(config.linksPerSpan(), streamThreads(config));
    }
    StreamsRunner runner;
    try {
      runner =
          StreamsRunner.start(
              config,
              openTelemetry,
              new TopicSettings(createTopics, partitions, replicationFactor),
              startupTimeout);
    } catch (RuntimeException e) {
      if (openTelemetry instanceof OpenTelemetrySdk sdk) {
        sdk.close();
      }
      throw e;
    }
    started.set(runner);
    Thread shutdown =
        new Thread(
            () -> {
              runner.close();
              // The JVM may halt as soon as this hook returns, before the main thread gets here.
              if (health != null) {
                health.close();
              }
            },
            "spanlinks-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdown);
    runner.awaitStop(Duration.ofDays(365 * 100));
    runner.close();
    if (runner.failure() != null) {
      throw new StartupException("Stopped after an error: " + runner.failure().getMessage());
    }
    return 0;
  }

  private HealthServer startHealthServer(Supplier<KafkaStreams.State> state) {
    if (healthPort == -1) {
      return null;
    }
    if (healthPort < 0 || healthPort > 65_535) {
      throw new ConfigException("--health-port must be 0 to 65535, not " + healthPort);
    }
    return HealthServer.start(new InetSocketAddress(healthAddress, healthPort), state);
  }

  /** Kafka Streams' {@code num.stream.threads}, as it will read it. */
  private static int streamThreads(BatchConfig config) {
    Object threads = config.originals().get(StreamsConfig.NUM_STREAM_THREADS_CONFIG);
    return threads == null ? 1 : Integer.parseInt(threads.toString().trim());
  }

  /** Null before Kafka Streams exists: the probes then say STARTING. */
  private static KafkaStreams.State stateOf(StreamsRunner runner) {
    return runner == null ? null : runner.state();
  }

  Map<String, Object> settings() throws IOException {
    Map<String, Object> settings = new HashMap<>();
    settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "spanlinks");
    settings.putAll(KafkaClientOptions.clientSettings(configFile, bootstrapServers));
    if (applicationId != null) {
      settings.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    }
    if (!settings.containsKey(StreamsConfig.STATE_DIR_CONFIG)) {
      // Kafka Streams' default is under the OS temp directory, which the OS may clear: the open
      // windows would be restored from the changelog at every start, at best.
      String stateDir = Path.of(DEFAULT_STATE_DIR).toAbsolutePath().toString();
      settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
      log.info("state.dir not set: keeping state in {}", stateDir);
    }
    return settings;
  }
}
