package dev.spanlinks.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;

/**
 * A KRaft cluster of three nodes, each a combined broker and controller in a JVM of its own ({@link
 * KafkaNodeMain}), so a test can SIGKILL one. Every topic is replicated three times and a write
 * needs two replicas in sync ({@code min.insync.replicas=2}); so are the consumer offsets and the
 * transaction state. A node keeps its ports and log directory across restarts; all of them live in
 * a temporary directory deleted on {@link #close()}.
 *
 * <p>One node down at a time: with two of three down there is neither a controller quorum nor an
 * in-sync pair of replicas, and nothing could be written.
 */
final class ThreeBrokerCluster implements AutoCloseable {
  static final List<Integer> NODES = List.of(1, 2, 3);
  private static final Duration WAIT = Duration.ofSeconds(90);

  private final Path dir;
  private final String clusterId = Uuid.randomUuid().toString();
  private final Map<Integer, Integer> brokerPorts = new HashMap<>();
  private final Map<Integer, Integer> controllerPorts = new HashMap<>();
  private final Map<Integer, ChildJvm> running = new HashMap<>();
  private final Map<Integer, Integer> starts = new HashMap<>();
  private final Admin admin;

  private ThreeBrokerCluster() throws IOException {
    dir = Files.createTempDirectory("spanlinks-three-brokers-");
    for (int node : NODES) {
      brokerPorts.put(node, ItSupport.freePort());
      controllerPorts.put(node, ItSupport.freePort());
    }
    admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers(),
                // A request to a node just killed fails over to another without waiting long.
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                10_000));
  }

  /** Starts the three nodes together (a quorum needs two) and waits until each serves clients. */
  static ThreeBrokerCluster start() throws IOException {
    ThreeBrokerCluster cluster = new ThreeBrokerCluster();
    try {
      for (int node : NODES) {
        cluster.launch(node);
      }
      for (int node : NODES) {
        cluster.awaitStarted(node);
      }
    } catch (RuntimeException | IOException e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  String bootstrapServers() {
    return NODES.stream()
        .map(node -> "127.0.0.1:" + brokerPorts.get(node))
        .collect(Collectors.joining(","));
  }

  /** SIGKILL: the node dies at once, nothing flushed, no leadership handed over. */
  void kill(int node) throws Exception {
    int exit = running.remove(node).kill();
    if (exit != 137) {
      throw new IllegalStateException("Node " + node + " exited with " + exit + ", not SIGKILL");
    }
  }

  /** SIGTERM: a clean shutdown, as for an upgrade; waits until the process has exited. */
  void stop(int node) throws Exception {
    log("stopping node " + node);
    running.remove(node).terminate(60);
    log("stopped node " + node);
  }

  /** Starts a node that is down, on its old ports and log directory; waits until it serves. */
  void start(int node) throws IOException {
    log("starting node " + node);
    launch(node);
    awaitStarted(node);
    log("started node " + node);
  }

  /**
   * Restarts the nodes one after another, each once every partition is fully replicated again: a
   * rolling restart. Returns with every partition fully replicated.
   */
  void restartOneByOne() throws Exception {
    for (int node : NODES) {
      awaitFullyReplicated();
      stop(node);
      start(node);
    }
    awaitFullyReplicated();
  }

  /** Waits until the controller has fenced {@code node}: it leads no partition any more. */
  void awaitFenced(int node) {
    await("node " + node + " fenced")
        .atMost(WAIT)
        .until(
            () ->
                admin.describeCluster().nodes().get().stream().noneMatch(n -> n.id() == node)
                    && partitions().stream()
                        .noneMatch(p -> p.leader() != null && p.leader().id() == node));
  }

  /** Waits until every partition of every topic (internal ones too) has all replicas in sync. */
  void awaitFullyReplicated() {
    await("every replica in sync")
        .atMost(WAIT)
        .until(
            () ->
                partitions().stream()
                    .allMatch(
                        p -> p.leader() != null && Set.copyOf(p.isr()).containsAll(p.replicas())));
  }

  /** The node that leads {@code partition} now. */
  int leaderOf(TopicPartition partition) throws ExecutionException, InterruptedException {
    TopicDescription topic =
        admin
            .describeTopics(List.of(partition.topic()))
            .allTopicNames()
            .get()
            .get(partition.topic());
    Node leader = topic.partitions().get(partition.partition()).leader();
    if (leader == null) {
      throw new IllegalStateException(partition + " has no leader");
    }
    return leader.id();
  }

  /** The transactional ids the coordinators know that start with {@code prefix}. */
  List<String> transactionalIds(String prefix) throws ExecutionException, InterruptedException {
    Collection<TransactionListing> listings = admin.listTransactions().all().get();
    return listings.stream()
        .map(TransactionListing::transactionalId)
        .filter(id -> id.startsWith(prefix))
        .sorted()
        .toList();
  }

  /** The node that coordinates the transactions of {@code transactionalId}. */
  int transactionCoordinatorOf(String transactionalId)
      throws ExecutionException, InterruptedException {
    return admin
        .describeTransactions(List.of(transactionalId))
        .description(transactionalId)
        .get()
        .coordinatorId();
  }

  private List<TopicPartitionInfo> partitions() throws ExecutionException, InterruptedException {
    Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
    return admin.describeTopics(topics).allTopicNames().get().values().stream()
        .flatMap(topic -> topic.partitions().stream())
        .toList();
  }

  private void launch(int node) throws IOException {
    Path nodeDir = Files.createDirectories(dir.resolve("node-" + node));
    Path config = nodeDir.resolve("server.properties");
    try (Writer writer = Files.newBufferedWriter(config)) {
      settings(node, nodeDir).store(writer, "node " + node + " of a spanlinks test cluster");
    }
    int start = starts.merge(node, 1, Integer::sum);
    running.put(
        node,
        ChildJvm.startMain(
            // C1 and the serial collector: a node starts in less CPU time, and the 2-core
            // machines the tests run on share it with the app's instances and the other nodes.
            List.of(
                "-Xmx384m",
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Dorg.slf4j.simpleLogger.log.kafka.server.BrokerServer=info"),
            KafkaNodeMain.class,
            List.of(config.toString(), clusterId),
            Map.of(),
            ItSupport.logs().resolve(dir.getFileName() + "-node-" + node + "-" + start + ".log")));
  }

  private void awaitStarted(int node) {
    ChildJvm jvm = running.get(node);
    await("node " + node + " started")
        .atMost(WAIT)
        .failFast("node " + node + " exited", () -> !jvm.isAlive())
        .until(() -> jvm.output().contains(KafkaNodeMain.STARTED));
  }

  private Properties settings(int node, Path nodeDir) {
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", Integer.toString(node));
    props.put(
        "controller.quorum.voters",
        NODES.stream()
            .map(n -> n + "@127.0.0.1:" + controllerPorts.get(n))
            .collect(Collectors.joining(",")));
    props.put("controller.listener.names", "CONTROLLER");
    props.put(
        "listeners",
        "PLAINTEXT://127.0.0.1:"
            + brokerPorts.get(node)
            + ",CONTROLLER://127.0.0.1:"
            + controllerPorts.get(node));
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPorts.get(node));
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("log.dirs", nodeDir.resolve("logs").toString());
    props.put("default.replication.factor", "3");
    props.put("min.insync.replicas", "2");
    props.put("offsets.topic.replication.factor", "3");
    props.put("offsets.topic.num.partitions", "5");
    props.put("transaction.state.log.replication.factor", "3");
    props.put("transaction.state.log.min.isr", "2");
    props.put("transaction.state.log.num.partitions", "5");
    props.put("num.partitions", "4");
    props.put("group.initial.rebalance.delay.ms", "0");
    // A killed node is fenced, and its partitions get new leaders, 5 s after its last heartbeat
    // (9 s by default): failover within the test's patience, and not so quick that a busy 2-core
    // machine fences a node that is only slow.
    props.put("broker.session.timeout.ms", "5000");
    props.put("broker.heartbeat.interval.ms", "1000");
    // Test data carries event times of the past: keep it regardless of its timestamps.
    props.put("log.retention.ms", "-1");
    return props;
  }

  /** Progress on the test's output, timed, for the reader of a slow or failing run. */
  private static void log(String step) {
    System.out.println(Instant.now() + " three-broker cluster: " + step);
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
    for (ChildJvm node : running.values()) {
      try {
        // Waits for the exit: the log directories are deleted next.
        node.kill();
      } catch (Exception | AssertionError e) {
        node.close();
      }
    }
    running.clear();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + dir, e);
    }
  }
}
