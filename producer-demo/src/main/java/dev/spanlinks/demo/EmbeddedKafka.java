package dev.spanlinks.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) in this JVM, on loopback
 * ports of its own, with its data in a temporary directory deleted on close. Built from the Kafka
 * broker jar alone: no Docker, no test jars.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private final Path dataDir;
  private final Properties props;
  private final String bootstrapServers;
  private KafkaRaftServer server;

  private EmbeddedKafka(Path dataDir, Properties props, String bootstrapServers) {
    this.dataDir = dataDir;
    this.props = props;
    this.bootstrapServers = bootstrapServers;
    this.server = startServer(props);
  }

  /** Formats a fresh log directory and starts the broker; returns once it serves clients. */
  public static EmbeddedKafka start(Map<String, String> overrides) throws IOException {
    Path dataDir = Files.createTempDirectory("spanlinks-kafka-");
    int brokerPort = freePort();
    int controllerPort = freePort();
    Properties props = singleNode(dataDir, controllerPort);
    props.put(
        "listeners",
        "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.putAll(overrides);

    format(dataDir, props);
    return new EmbeddedKafka(dataDir, props, "127.0.0.1:" + brokerPort);
  }

  /** What every single-node broker of ours needs, whatever its listeners. */
  private static Properties singleNode(Path dataDir, int controllerPort) {
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("log.dirs", dataDir.resolve("logs").toString());
    // Single node: internal topics cannot have more replicas than brokers, or consumers never
    // find a coordinator and exactly_once_v2 hangs.
    props.put("offsets.topic.replication.factor", "1");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("offsets.topic.num.partitions", "5");
    // Demo and test data carry event times of the past: keep it regardless of its timestamps.
    props.put("log.retention.ms", "-1");
    return props;
  }

  private static KafkaRaftServer startServer(Properties props) {
    KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
    server.startup();
    return server;
  }

  public static EmbeddedKafka start() throws IOException {
    return start(Map.of());
  }

  /**
   * A SCRAM-SHA-512 user the broker knows from the moment it is formatted. Its {@code toString}
   * hides the password, so a failing assertion never prints it.
   */
  public record ScramUser(String name, String password) {
    public static final String MECHANISM = "SCRAM-SHA-512";

    public ScramUser {
      // StorageTool parses "name=...,password=..." itself; keep both to characters it cannot
      // misread.
      for (String part : List.of(name, password)) {
        if (!part.matches("[A-Za-z0-9_.-]+")) {
          throw new IllegalArgumentException("SCRAM user names and passwords: [A-Za-z0-9_.-]+");
        }
      }
    }

    /** The {@code sasl.jaas.config} line a client logs in with. */
    public String jaasConfig() {
      return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
          + name
          + "\" password=\""
          + password
          + "\";";
    }

    /** What a Kafka client needs besides {@code bootstrap.servers} to log in as this user. */
    public Map<String, String> clientProperties() {
      return Map.of(
          "security.protocol",
          "SASL_PLAINTEXT",
          "sasl.mechanism",
          MECHANISM,
          "sasl.jaas.config",
          jaasConfig());
    }

    @Override
    public String toString() {
      return "ScramUser[name=" + name + ", password=[hidden]]";
    }
  }

  /**
   * A broker whose only client listener requires SASL/SCRAM-SHA-512 ({@code SASL_PLAINTEXT}), with
   * {@code users} created at format time; {@link #bootstrapServers()} names that listener. The
   * broker talks to itself over a plaintext loopback listener of its own and to its controller over
   * the plaintext {@code CONTROLLER} listener, so only clients have to log in. {@code overrides}
   * are applied last, as in {@link #start(Map)}.
   */
  public static EmbeddedKafka startWithSasl(List<ScramUser> users, Map<String, String> overrides)
      throws IOException {
    if (users.isEmpty()) {
      throw new IllegalArgumentException("A SASL broker needs at least one user");
    }
    Path dataDir = Files.createTempDirectory("spanlinks-kafka-sasl-");
    int clientPort = freePort();
    int internalPort = freePort();
    int controllerPort = freePort();
    Properties props = singleNode(dataDir, controllerPort);
    props.put(
        "listeners",
        "CLIENT://127.0.0.1:"
            + clientPort
            + ",INTERNAL://127.0.0.1:"
            + internalPort
            + ",CONTROLLER://127.0.0.1:"
            + controllerPort);
    props.put(
        "advertised.listeners",
        "CLIENT://127.0.0.1:" + clientPort + ",INTERNAL://127.0.0.1:" + internalPort);
    props.put("inter.broker.listener.name", "INTERNAL");
    props.put(
        "listener.security.protocol.map",
        "CLIENT:SASL_PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("sasl.enabled.mechanisms", ScramUser.MECHANISM);
    // The broker side of SCRAM needs the login module but no credentials: it checks clients
    // against the SCRAM credentials in the cluster metadata.
    props.put(
        "listener.name.client.scram-sha-512.sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    props.putAll(overrides);

    List<String> scram = new ArrayList<>();
    for (ScramUser user : users) {
      scram.add("--add-scram");
      scram.add(
          ScramUser.MECHANISM + "=[name=" + user.name() + ",password=" + user.password() + "]");
    }
    format(dataDir, props, scram);
    return new EmbeddedKafka(dataDir, props, "127.0.0.1:" + clientPort);
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * Stops the broker cleanly, runs {@code whileDown} (a test waits there until its clients have
   * noticed) and starts the broker again on the same ports and log directory, even if {@code
   * whileDown} throws: what clients see when a broker is restarted for an upgrade.
   */
  public void restart(Runnable whileDown) {
    server.shutdown();
    server.awaitShutdown();
    try {
      whileDown.run();
    } finally {
      server = startServer(props);
    }
  }

  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + dataDir, e);
    }
  }

  /** What {@code kafka-storage.sh format} does; its main would call System.exit. */
  private static void format(Path dataDir, Properties props) throws IOException {
    format(dataDir, props, List.of());
  }

  /** As {@link #format(Path, Properties)}, with further arguments such as {@code --add-scram}. */
  private static void format(Path dataDir, Properties props, List<String> extraArgs)
      throws IOException {
    Path config = dataDir.resolve("server.properties");
    try (Writer writer = Files.newBufferedWriter(config)) {
      props.store(writer, "spanlinks embedded broker");
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    List<String> args =
        new ArrayList<>(
            List.of(
                "format",
                "--cluster-id",
                Uuid.randomUuid().toString(),
                "--config",
                config.toString(),
                "--ignore-formatted"));
    args.addAll(extraArgs);
    int exit =
        StorageTool.execute(
            args.toArray(String[]::new), new PrintStream(output, true, StandardCharsets.UTF_8));
    if (exit != 0) {
      throw new IllegalStateException(
          "Formatting the embedded broker's storage failed: "
              + output.toString(StandardCharsets.UTF_8));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }
}
