package dev.spanlinks.it;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.utils.Time;

/**
 * One node of a {@link ThreeBrokerCluster}: a KRaft broker and controller in a JVM of its own, so
 * that a test can SIGKILL it. Formats its log directory with the cluster's id unless it already is
 * (a restarted node keeps its data), then serves until SIGTERM (a clean shutdown: leaderships move
 * away first) or SIGKILL.
 *
 * <p>Arguments: the node's {@code server.properties} and the cluster id. Prints {@value #STARTED}
 * once the broker serves clients.
 */
public final class KafkaNodeMain {
  static final String STARTED = "Kafka node started";

  private KafkaNodeMain() {}

  public static void main(String[] args) {
    System.out.println(Instant.now() + " Starting Kafka node");
    try {
      Properties props = new Properties();
      try (Reader reader = Files.newBufferedReader(Path.of(args[0]))) {
        props.load(reader);
      }
      format(args[0], args[1]);
      KafkaRaftServer server =
          new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    server.shutdown();
                    server.awaitShutdown();
                  },
                  "kafka-node-shutdown"));
      server.startup();
      System.out.println(
          Instant.now() + " " + STARTED + ". node.id=[" + props.getProperty("node.id") + "]");
      server.awaitShutdown();
    } catch (Throwable e) {
      // Kafka's threads are not daemons: without the exit, a node that failed to start would
      // linger as a process that serves nothing.
      e.printStackTrace(System.out);
      System.exit(1);
    }
  }

  /** What {@code kafka-storage.sh format --ignore-formatted} does; its main calls System.exit. */
  private static void format(String config, String clusterId) {
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int exit =
        StorageTool.execute(
            new String[] {
              "format", "--cluster-id", clusterId, "--config", config, "--ignore-formatted"
            },
            new PrintStream(output, true, StandardCharsets.UTF_8));
    if (exit != 0) {
      throw new IllegalStateException(
          "Formatting the node's storage failed: " + output.toString(StandardCharsets.UTF_8));
    }
  }
}
