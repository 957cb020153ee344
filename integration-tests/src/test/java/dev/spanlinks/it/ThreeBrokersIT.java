package dev.spanlinks.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.demo.OrderProducer;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The app with exactly_once_v2 on a KRaft cluster of three brokers, each a process of its own
 * (replication factor 3, {@code min.insync.replicas=2}, transaction state replicated), while orders
 * flow and windows close: the leader of a window's input partition is killed with SIGKILL while the
 * window's close waits to commit, and restarted; then the transaction coordinator of the producer
 * of another close, caught the same way; then all three brokers are restarted one by one. Every
 * batch is on the output topic once (read_committed), every traced order is linked by exactly one
 * batch span, and the dead-letter topic holds exactly the invalid orders.
 *
 * <p>A close is caught by holding the OTLP receiver's answer to the export of its batch span: the
 * app commits a close only once its spans are exported, so the transaction stays open until the
 * receiver answers, just after the kill.
 */
class ThreeBrokersIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Pattern CLIENT_ID = Pattern.compile("stream-client \\[([^\\]]+)\\]");

  @Test
  void shouldLinkEveryOrderOnceWhenBrokersAreKilledMidCloseAndRestartedOneByOne(@TempDir Path dir)
      throws Exception {
    long began = System.nanoTime();
    try (ThreeBrokerCluster cluster = ThreeBrokerCluster.start();
        ClusterRun run = ClusterRun.create(cluster.bootstrapServers(), "brokers", dir, 4)) {
      // A task whose input leader is down, or whose commit waits for a new transaction
      // coordinator, sees no record for as long as the failover takes (about 10 s here). The
      // idle close cannot tell that from a quiet topic, and on these orders, hours behind the
      // wall clock, it would close the open hour early and route the rest of its orders late:
      // the idle time must outlast a failover.
      Map<String, String> settings = Map.of("spanlinks.idle.close.ms", "30000");
      Map<String, ChildJvm> instances =
          Map.of("a", run.startInstance("a", settings), "b", run.startInstance("b", settings));
      cluster.awaitFullyReplicated();
      log(began, "cluster and app up");

      OtlpReceiver.Hold close = run.holdNextBatchSpan();
      // Twelve hours of event time in 80 s: a window closes every 7 s or so.
      CompletableFuture<OrderProducer.Result> producing = run.produceInBackground(4_000, 50, 12);

      // The leader of the input partition of a close in progress.
      OtlpReceiver.ReceivedSpan closing = close.await(WAIT);
      TopicPartition input = new TopicPartition(run.ordersTopic(), partitionOf(closing.span()));
      int leader = cluster.leaderOf(input);
      cluster.kill(leader);
      close.release();
      log(began, "killed node " + leader + ", leader of " + input + ", mid-close");
      assertThat(producing).as("still producing at the first kill").isNotDone();
      cluster.awaitFenced(leader);
      awaitCommitted(run, closing.span());
      log(began, "the close committed without node " + leader);
      cluster.start(leader);
      cluster.awaitFullyReplicated();
      log(began, "node " + leader + " back in sync");

      // The transaction coordinator of the producer of the next close. The producers' ids are
      // looked up first: a close is held for a few seconds only.
      Map<String, String> transactionalIds =
          Map.of(
              "a", transactionalIdOf(cluster, instances.get("a")),
              "b", transactionalIdOf(cluster, instances.get("b")));
      close = run.holdNextBatchSpan();
      closing = close.await(WAIT);
      String transactionalId = transactionalIds.get(closing.serviceInstanceId());
      int coordinator =
          await("the coordinator of " + transactionalId)
              .atMost(Duration.ofSeconds(3))
              .ignoreExceptions()
              .until(() -> cluster.transactionCoordinatorOf(transactionalId), node -> node > 0);
      cluster.kill(coordinator);
      close.release();
      log(
          began,
          "killed node "
              + coordinator
              + ", coordinator of "
              + transactionalId
              + ", mid-close (orders flowing: "
              + !producing.isDone()
              + ")");
      cluster.awaitFenced(coordinator);
      awaitCommitted(run, closing.span());
      log(began, "the close committed without node " + coordinator);
      cluster.start(coordinator);
      cluster.awaitFullyReplicated();
      log(began, "node " + coordinator + " back in sync");

      boolean producingAtRestart = !producing.isDone();
      cluster.restartOneByOne();
      log(began, "rolling restart done (orders flowing when it began: " + producingAtRestart + ")");

      OrderProducer.Result produced = producing.get(120, SECONDS);
      ClusterRun.Audit audit = run.auditEveryOrderLinkedOnce(produced);
      assertThat(run.auditDeadLetters(produced)).hasSize(produced.invalid());
      assertThat(produced.invalid()).as("invalid orders produced").isGreaterThan(40);
      assertThat(instances.values())
          .as("both instances rode out the broker failures")
          .allMatch(ChildJvm::isAlive);
      log(
          began,
          String.format(
              "audited: %d batches, %d linked orders, %d dead letters, %d spans received twice",
              audit.batches(),
              audit.linkedOrders(),
              produced.invalid(),
              audit.spansReceivedTwice()));
    }
  }

  /** The input partition of a batch span's orders, from its links. */
  private static int partitionOf(Span batchSpan) {
    return batchSpan.getLinksList().stream()
        .flatMap(link -> link.getAttributesList().stream())
        .filter(attribute -> attribute.getKey().equals("messaging.destination.partition.id"))
        .map(KeyValue::getValue)
        .map(value -> Integer.parseInt(value.getStringValue()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("A batch span without partition: " + batchSpan));
  }

  /**
   * The transactional id of an instance's producer: exactly_once_v2 names it after the Kafka
   * Streams client id ({@code application.id-processId}), which the instance logs.
   */
  private static String transactionalIdOf(ThreeBrokerCluster cluster, ChildJvm instance)
      throws Exception {
    Matcher clientId = CLIENT_ID.matcher(instance.output());
    assertThat(clientId.find()).as("the instance logs its client id").isTrue();
    // Retried: Admin.listTransactions fails with "Unexpected key set" (AllBrokersStrategy) when
    // it first finds a node unavailable, as it may just after a restart.
    List<String> ids =
        await("transactional ids of client " + clientId.group(1))
            .atMost(WAIT)
            .ignoreExceptions()
            .until(
                () -> cluster.transactionalIds(clientId.group(1) + "-"),
                found -> found.size() == 1);
    return ids.get(0);
  }

  /** Waits until the batch of {@code batchSpan} is on the output topic (read_committed). */
  private static void awaitCommitted(ClusterRun run, Span batchSpan) {
    String ids =
        ItSupport.ids(batchSpan.getTraceId().toByteArray(), batchSpan.getSpanId().toByteArray());
    await("the held close committed")
        .atMost(WAIT)
        .until(
            () ->
                TopicReader.batches(
                        run.bootstrapServers(), run.batchesTopic(), 1, Duration.ofSeconds(5))
                    .stream()
                    .anyMatch(b -> (b.value().traceId() + "/" + b.value().spanId()).equals(ids)));
  }

  private static void log(long began, String step) {
    System.out.printf(
        "%s three brokers, %5.1f s: %s%n", Instant.now(), (System.nanoTime() - began) / 1e9, step);
  }
}
