package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import dev.spanlinks.it.ProbeRecorder.Answer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --health-port} on a real broker, through what an orchestrator watches: start-up (alive
 * at once, ready only once Kafka Streams runs), rebalances as a second instance of the same
 * application joins and leaves (not ready while rebalancing, ready again after), and SIGTERM (not
 * ready from the start of the close, then refused, a clean exit). A recorder asks both probes every
 * few milliseconds, so the test asserts on the whole sequence of answers rather than on samples.
 */
@ExtendWith(KafkaClusterExtension.class)
class HealthIT {
  private static final Pattern BOUND =
      Pattern.compile("Serving health probes\\. address=\\[([^]]*)] port=\\[(\\d+)]");
  private static final Set<String> ALIVE = Set.of("STARTING", "CREATED", "REBALANCING", "RUNNING");
  private static final Set<String> STOPPING = Set.of("PENDING_SHUTDOWN", "NOT_RUNNING");
  // Kafka Streams' own state transition lines, for whoever reads a failing run's log.
  private static final List<String> LOG_STATES =
      List.of("-Dorg.slf4j.simpleLogger.log.org.apache.kafka.streams.KafkaStreams=info");
  private static final Map<String, String> NO_EXPORT =
      Map.of(
          "OTEL_TRACES_EXPORTER", "none",
          "OTEL_METRICS_EXPORTER", "none",
          "OTEL_LOGS_EXPORTER", "none");

  private final HttpClient client = HttpClient.newHttpClient();

  @Test
  void shouldBeReadyOnlyWhileRunningThroughStartRebalancesAndShutdown(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    String id = "health-" + UUID.randomUUID().toString().substring(0, 6);
    // A stopped instance does not leave the group: the other takes its tasks after the session
    // timeout, 45 s by default, 6 s (the broker's least) here.
    Map<String, String> quiet =
        Map.of(
            "spanlinks.idle.close.ms", "600000",
            "session.timeout.ms", "6000",
            "heartbeat.interval.ms", "1000");
    Path firstConfig =
        ItSupport.streamsConfig(
            Files.createDirectories(dir.resolve("first")), kafka.bootstrapServers(), id, quiet);
    Path secondConfig =
        ItSupport.streamsConfig(
            Files.createDirectories(dir.resolve("second")), kafka.bootstrapServers(), id, quiet);
    int port = freePort();

    // The recorder asks before the process even listens: the first answers are refusals.
    try (ProbeRecorder probes = ProbeRecorder.start(port);
        ChildJvm first =
            startInstance(firstConfig, List.of("--health-port", Integer.toString(port)), id)) {
      awaitReady(probes, first, "the first instance, at start-up");
      List<Answer> startup = probes.answers();
      int ready = indexOfFirst(startup, a -> a.ready() && a.status() == 200);
      assertThat(startup.subList(0, ready))
          .as("alive but not ready while starting: " + ProbeRecorder.summary(startup))
          .anySatisfy(a -> assertLiveNotRunning(a))
          .anySatisfy(a -> assertThat(a.ready() && a.status() == 503).isTrue());
      sendOrders(kafka.bootstrapServers(), "orders-" + id);

      int joined = probes.mark();
      try (ChildJvm second =
          startInstance(
              secondConfig, List.of("--health-port", "0", "--health-address", "127.0.0.1"), id)) {
        Matcher bound = awaitBound(second);
        assertThat(bound.group(1)).isEqualTo("127.0.0.1");
        int secondPort = Integer.parseInt(bound.group(2));
        assertThat(secondPort).as("port 0: a free port, named in the log").isPositive();
        await("the second instance ready")
            .atMost(Duration.ofSeconds(90))
            .until(() -> status(secondPort, "/health/ready") == 200);
        awaitRebalanced(probes, joined, first, "as the second instance joined");

        int left = probes.mark();
        assertThat(second.terminate(60)).as(second.output()).isIn(0, 143);
        awaitRebalanced(probes, left, first, "as the second instance left");
      }

      int stopping = probes.mark();
      // 143: the JVM's exit code for SIGTERM, whatever its shutdown hooks do.
      int exit = first.terminate(60);
      assertThat(exit).as(first.output()).isIn(0, 143);
      await("the probes refused once the process is gone")
          .atMost(Duration.ofSeconds(10))
          .until(() -> probes.lastReady().status() == ProbeRecorder.REFUSED);
      assertShutdown(probes.since(stopping));
      assertThat(first.output()).contains("spanlinks stopped cleanly: Kafka Streams closed");
      probes.answers().forEach(HealthIT::assertStatusMatchesState);
      System.out.printf(
          "HealthIT: exit code %d; readiness of the first instance: %s%n",
          exit, ProbeRecorder.summary(probes.answers().stream().filter(Answer::ready).toList()));
    }
  }

  private static ChildJvm startInstance(Path config, List<String> health, String id)
      throws IOException {
    List<String> args = new ArrayList<>(List.of("run", "--config", config.toString()));
    args.addAll(List.of("--partitions", "4"));
    args.addAll(health);
    Path log = ItSupport.logs().resolve(id + "-" + config.getParent().getFileName() + ".log");
    return ChildJvm.start(LOG_STATES, ItSupport.STREAMS_JAR, args, NO_EXPORT, log);
  }

  private static void awaitReady(ProbeRecorder probes, ChildJvm instance, String what) {
    await(what + " ready")
        .atMost(Duration.ofSeconds(90))
        .failFast("the instance exited", () -> !instance.isAlive())
        .until(
            () -> {
              Answer last = probes.lastReady();
              return last != null && last.status() == 200;
            });
  }

  /**
   * The first instance's readiness went to 503 (REBALANCING) after {@code mark}, and back to 200
   * RUNNING; its liveness stayed 200 all along.
   */
  private static void awaitRebalanced(ProbeRecorder probes, int mark, ChildJvm first, String when) {
    await("the first instance not ready, then ready again, " + when)
        .atMost(Duration.ofSeconds(60))
        .failFast("the first instance exited", () -> !first.isAlive())
        .until(
            () -> {
              List<Answer> since = probes.since(mark);
              int down = indexOfFirst(since, a -> a.ready() && a.status() == 503);
              return down >= 0
                  && since.subList(down, since.size()).stream()
                      .anyMatch(a -> a.ready() && a.status() == 200);
            });
    List<Answer> since = probes.since(mark);
    assertThat(since)
        .as("rebalancing is not ready " + when + ": " + ProbeRecorder.summary(since))
        .anySatisfy(a -> assertThat(a.toString()).isEqualTo("ready 503 REBALANCING"))
        .filteredOn(a -> !a.ready())
        .allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
  }

  /** Not ready from the start of the close, never ready again, and at last refused. */
  private static void assertShutdown(List<Answer> answers) {
    String summary = ProbeRecorder.summary(answers);
    int down = indexOfFirst(answers, a -> a.status() != 200);
    assertThat(down).as(summary).isNotNegative();
    List<Answer> after = answers.subList(down, answers.size());
    assertThat(after).as("once down, never up again: " + summary).noneMatch(a -> a.status() == 200);
    assertThat(after)
        .as("the probes say the instance is stopping before it stops listening: " + summary)
        .anySatisfy(
            a -> {
              assertThat(a.ready()).isTrue();
              assertThat(a.status()).isEqualTo(503);
              assertThat(a.state()).isIn(STOPPING);
            });
    assertThat(answers.get(answers.size() - 1).status()).isEqualTo(ProbeRecorder.REFUSED);
  }

  private static void assertLiveNotRunning(Answer answer) {
    assertThat(answer.ready()).isFalse();
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.state()).isIn("STARTING", "CREATED", "REBALANCING");
  }

  /**
   * Ready is 200 exactly in RUNNING; live is 200 exactly while starting, rebalancing or running.
   */
  private static void assertStatusMatchesState(Answer answer) {
    if (answer.status() == ProbeRecorder.REFUSED) {
      return;
    }
    boolean up = answer.ready() ? "RUNNING".equals(answer.state()) : ALIVE.contains(answer.state());
    assertThat(answer.status()).as(answer.toString()).isEqualTo(up ? 200 : 503);
  }

  private static int indexOfFirst(List<Answer> answers, Predicate<Answer> matching) {
    for (int i = 0; i < answers.size(); i++) {
      if (matching.test(answers.get(i))) {
        return i;
      }
    }
    return -1;
  }

  private static Matcher awaitBound(ChildJvm instance) {
    return await("the health port in the log")
        .atMost(Duration.ofSeconds(60))
        .until(() -> BOUND.matcher(instance.output()), Matcher::find);
  }

  private int status(int port, String path) {
    try {
      return client
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return ProbeRecorder.REFUSED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ProbeRecorder.REFUSED;
    }
  }

  /** A few orders of the current hour, so the tasks that move in a rebalance have state. */
  private static void sendOrders(String bootstrapServers, String topic) throws Exception {
    Instant now = Instant.now();
    try (KafkaProducer<String, String> producer = ItSupport.stringProducer(bootstrapServers)) {
      for (int n = 0; n < 40; n++) {
        producer
            .send(
                new ProducerRecord<>(
                    topic,
                    "key-" + n % 8,
                    "{\"orderId\":\"o-"
                        + n
                        + "\",\"amount\":1,\"currency\":\"EUR\",\"createdAt\":\""
                        + now
                        + "\"}"))
            .get();
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
