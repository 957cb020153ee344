package dev.spanlinks.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.demo.EmbeddedKafka;
import dev.spanlinks.demo.OrderProducer;
import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The app as users run it in a cluster, on a real broker, with exactly_once_v2: two instances share
 * a 4-partition orders topic; an instance is killed with SIGKILL while orders flow and windows
 * close, then restarted; the broker restarts under a running app. Each time, every batch is on the
 * output topic once (read_committed) and every traced order is linked by exactly one batch span.
 */
@ExtendWith(KafkaClusterExtension.class)
class ClusterIT {

  @Test
  void shouldShareFourPartitionsBetweenTwoInstancesAndLinkEveryOrderOnce(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    try (ClusterRun run = ClusterRun.create(kafka.bootstrapServers(), "two", dir, 4)) {
      run.startInstance("a");
      run.startInstance("b");

      OrderProducer.Result produced = run.produceInBackground(2_000, 1_000).get(60, SECONDS);
      ClusterRun.Audit audit = run.auditEveryOrderLinkedOnce(produced);

      assertThat(audit.emitters()).as("both instances closed batches").containsOnly("a", "b");
      assertThat(audit.emitters()).hasSize(2);
      assertThat(audit.batches()).isGreaterThan(12);
    }
  }

  @Test
  void shouldLinkEveryOrderOnceWhenAnInstanceIsKilledMidWindowAndRestarted(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    try (ClusterRun run = ClusterRun.create(kafka.bootstrapServers(), "kill", dir, 4)) {
      run.startInstance("a");
      ChildJvm b = run.startInstance("b");

      CompletableFuture<OrderProducer.Result> producing = run.produceInBackground(3_000, 300);
      // Killed once it is processing orders (its first dead-letter warning: 2% of the orders are
      // invalid), so it holds open windows; the group settles over several rebalances, and on a
      // busy machine b may get its tasks seconds after it first reports RUNNING.
      await("b processing orders")
          .atMost(WAIT)
          .until(() -> b.output().contains("Dead-lettering invalid order"));
      assertThat(producing).as("still producing when b is killed").isNotDone();
      long atKill = run.ordersOnTopic();
      assertThat(b.kill()).as("SIGKILL exit code").isEqualTo(137);
      // Restarted once orders have flowed while it was down (up to the last of them).
      long resumeAt = Math.min(atKill + 300, 3_000);
      await("orders produced while b is down")
          .atMost(WAIT)
          .until(() -> run.ordersOnTopic() >= resumeAt);
      run.startInstance("b");
      OrderProducer.Result produced = producing.get(60, SECONDS);

      ClusterRun.Audit audit = run.auditEveryOrderLinkedOnce(produced);
      assertThat(audit.linkedOrders()).isGreaterThan(2_500);
      System.out.printf(
          "kill test: %d batches, %d linked orders, %d spans received twice%n",
          audit.batches(), audit.linkedOrders(), audit.spansReceivedTwice());
    }
  }

  @Test
  void shouldLoseNoOrderWhenTheBrokerRestartsUnderTheRunningApp(@TempDir Path dir)
      throws Exception {
    // A broker of its own: restarting the shared one would disturb the other tests.
    try (EmbeddedKafka broker = EmbeddedKafka.start(Map.of());
        ClusterRun run = ClusterRun.create(broker.bootstrapServers(), "restart", dir, 2)) {
      ChildJvm app = run.startInstance("a");

      CompletableFuture<OrderProducer.Result> producing = run.produceInBackground(2_000, 250);
      // Restarted once the app has closed a window: it has committed output and holds open
      // windows (the last hour closes only once the topic has been idle for 8 s). The orders may
      // have all been sent by then on a busy machine: it is the app that must ride out the restart.
      await("a closed a window").atMost(WAIT).until(() -> run.batchSpansFrom("a") > 0);
      int logBefore = app.output().length();
      // Down until the app's own consumer has failed to reach it: an outage the app saw.
      broker.restart(
          () ->
              await("the app's consumer lost the broker")
                  .atMost(WAIT)
                  .until(() -> consumerLostBroker(app.output().substring(logBefore))));
      OrderProducer.Result produced = producing.get(120, SECONDS);

      run.auditEveryOrderLinkedOnce(produced);
      assertThat(app.isAlive()).as("the app rode out the restart").isTrue();
    }
  }

  private static final Duration WAIT = Duration.ofSeconds(60);

  private static boolean consumerLostBroker(String log) {
    return log.lines()
        .anyMatch(
            line ->
                line.contains("StreamThread-1-consumer")
                    && line.contains("could not be established"));
  }
}
