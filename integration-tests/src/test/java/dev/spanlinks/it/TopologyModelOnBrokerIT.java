package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.app.orders.ModelEvent;
import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.app.orders.OrderSerdes;
import dev.spanlinks.app.orders.Outcome;
import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference model of the topology ({@code TopologyModel}, issue 12) on more than one task
 * (issue 23 item 9): where {@code TopologyModelTest} drives one task through the test driver, this
 * runs generated cases ({@code ModelGenerator}), one per partition of a 4-partition orders topic,
 * through two instances of {@code streams-app.jar} on a real broker with exactly_once_v2, and
 * injects the faults users meet while orders flow: an instance killed with SIGKILL (its tasks move
 * to the other, restored from the changelog), restarted on its old state (tasks revived after a
 * dirty close), an instance stopped cleanly and restarted, and records redelivered (to their own
 * partition and to another one).
 *
 * <p>Each partition is one task, so the model runs once per partition on what that partition
 * received, and the committed output must be exactly what the models say: per partition, the
 * batches (read_committed, each once, with its counts, totals, timestamp and every link of its
 * batch and chunk spans as received over OTLP), the dead letters, and the late records; distinct
 * batch spans are exactly the committed batches, and each span context is linked exactly as often
 * as the model links it. The faults must not show: a restart loses stream time, which the model
 * shows changes nothing while no idle close runs, and exactly_once_v2 hides the rest.
 *
 * <p>{@code -Dspanlinks.model.seed=N} re-runs a seed (it prints it); the generated time lines start
 * 40 days before the current UTC day, so a seed reproduces the same input on the same day.
 */
@ExtendWith(KafkaClusterExtension.class)
class TopologyModelOnBrokerIT {
  private static final int PARTITIONS = 4;

  /** Records per second while faults are injected: slow enough that they hit mid-stream. */
  private static final int RATE = 50;

  private static final Duration WAIT = Duration.ofSeconds(90);

  @Test
  void shouldEmitWhatTheModelSaysPerPartitionAcrossInstancesRestartsAndRedeliveries(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    long seed = seed();
    Instant now = Instant.now();
    ModelPlan plan = ModelPlan.generate(seed, PARTITIONS, ModelPlan.generatorStart(now), now);
    String reproduce =
        "spanlinks.model.seed="
            + seed
            + " (cases "
            + plan.caseSeeds()
            + ", generator start "
            + ModelPlan.generatorStart(now)
            + ")";
    System.out.println(reproduce + ": " + plan.records() + " records");
    Map<String, String> settings =
        Map.of(
            "processing.guarantee",
            "exactly_once_v2",
            "spanlinks.idle.close.ms",
            Long.toString(ModelPlan.IDLE_MS),
            "spanlinks.links.per.span",
            Integer.toString(ModelPlan.LINKS_PER_SPAN),
            // Kafka Streams' own default, not spanlinks' 5 minutes: a killed instance's open
            // transaction holds its partitions' committed offsets (and so the instance that
            // takes them over) until the broker aborts it, and these windows close in
            // milliseconds.
            "producer.transaction.timeout.ms",
            "10000");

    try (ClusterRun run = ClusterRun.create(kafka.bootstrapServers(), "model", dir, PARTITIONS);
        KafkaProducer<byte[], byte[]> producer = producer(kafka.bootstrapServers());
        Admin admin =
            Admin.create(
                Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      ChildJvm a = run.startInstance("a", settings);
      ChildJvm b = run.startInstance("b", settings);
      awaitBalanced(admin, run, a, b);

      // 1. b is killed with SIGKILL once it has committed work, while the first phase flows: its
      // open transaction aborts, and its tasks move to a, which restores them from the changelog.
      AtomicInteger sent = new AtomicInteger();
      CompletableFuture<Void> first = produce(producer, run, plan.phase(0), sent);
      Set<Integer> ofB = partitionsOf(admin, run, b);
      await("b committed work on its partitions " + ofB)
          .atMost(WAIT)
          .until(() -> committed(admin, run, ofB) > 0);
      System.out.printf(
          "killing b (partitions %s) after %d of %d records%n",
          ofB, sent.get(), plan.phase(0).size());
      assertThat(b.kill()).as("SIGKILL exit code").isEqualTo(137);
      first.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      produce(producer, run, plan.phase(1), sent).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      awaitAllConsumed(admin, run, "a took over b's tasks and caught up");

      // 2. b comes back on its state directory, left dirty by the kill: its tasks are revived
      // and restored. While the third phase (with the redeliveries) flows, a stops cleanly
      // (commit, checkpoint, leave the group) and comes back.
      b = run.startInstance("b", settings);
      awaitBalanced(admin, run, a, b);
      int third = sent.get() + plan.phase(2).size() / 2;
      CompletableFuture<Void> producing = produce(producer, run, plan.phase(2), sent);
      await("half of the third phase sent").atMost(WAIT).until(() -> sent.get() >= third);
      assertThat(a.terminate(60)).as("clean stop on SIGTERM").isIn(0, 143);
      a = run.startInstance("a", settings);
      awaitBalanced(admin, run, a, b);
      producing.get(WAIT.toSeconds(), TimeUnit.SECONDS);

      // 3. The closing orders: every generated window closes, on every partition.
      produce(producer, run, plan.phase(3), sent).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      awaitAllConsumed(admin, run, "every record consumed and committed");
      assertThat(a.isAlive() && b.isAlive()).as("both instances still running").isTrue();

      compare(run, plan, reproduce);
    }
  }

  private void compare(ClusterRun run, ModelPlan plan, String reproduce) {
    Map<Integer, List<Outcome>> expectedBatches = new HashMap<>();
    Map<Integer, List<Outcome>> expectedLetters = new HashMap<>();
    List<Outcome> expectedLate = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      expectedBatches.put(p, new ArrayList<>());
      expectedLetters.put(p, new ArrayList<>());
      for (Outcome outcome : plan.expected(p)) {
        Outcome observable = BrokerOutcomes.observable(outcome);
        if (outcome instanceof Outcome.Batch) {
          expectedBatches.get(p).add(observable);
        } else if (outcome instanceof Outcome.Late) {
          expectedLate.add(observable);
        } else {
          expectedLetters.get(p).add(observable);
        }
      }
    }
    int batchCount = expectedBatches.values().stream().mapToInt(List::size).sum();
    int letterCount = expectedLetters.values().stream().mapToInt(List::size).sum();
    String bootstrap = run.bootstrapServers();
    // Every input is committed, and with it every output: the reads find them all at once.
    Duration read = Duration.ofSeconds(15);
    List<ConsumerRecord<String, OrderBatch>> batches =
        TopicReader.read(
            bootstrap,
            run.batchesTopic(),
            new StringDeserializer(),
            OrderSerdes.orderBatchDeserializer(),
            batchCount,
            read);
    List<ConsumerRecord<String, String>> late =
        TopicReader.read(
            bootstrap,
            run.lateTopic(),
            new StringDeserializer(),
            new StringDeserializer(),
            expectedLate.size(),
            read);
    List<ConsumerRecord<byte[], byte[]>> letters =
        TopicReader.read(
            bootstrap,
            run.deadLetterTopic(),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer(),
            letterCount,
            read);
    // Spans are exported before their transaction commits; allow for the receiver's own pace.
    Set<String> committedSpans =
        batches.stream()
            .map(b -> b.value().traceId() + "/" + b.value().spanId())
            .collect(Collectors.toSet());
    try {
      await("a batch span for every committed batch")
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  run.spans().stream()
                      .map(s -> BrokerOutcomes.id(s.span()))
                      .collect(Collectors.toSet())
                      .containsAll(committedSpans));
    } catch (ConditionTimeoutException e) {
      // The comparison below names the batches without a span.
    }
    BrokerOutcomes observed =
        new BrokerOutcomes(run.applicationId(), ModelPlan.LINKS_PER_SPAN, run.spans());

    List<String> differences = new ArrayList<>(observed.spanIssues());
    Map<Integer, List<Outcome>> actualBatches = new HashMap<>();
    Map<Integer, List<Outcome>> actualLetters = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      actualBatches.put(p, new ArrayList<>());
      actualLetters.put(p, new ArrayList<>());
    }
    batches.forEach(r -> actualBatches.get(r.value().partition()).add(observed.batch(r)));
    letters.forEach(
        r ->
            actualLetters.get(BrokerOutcomes.sourcePartition(r)).add(BrokerOutcomes.deadLetter(r)));
    for (int p = 0; p < PARTITIONS; p++) {
      differences.addAll(
          BrokerOutcomes.differences(
              "partition " + p + " batch", expectedBatches.get(p), actualBatches.get(p)));
      differences.addAll(
          BrokerOutcomes.differences(
              "partition " + p + " dead letter", expectedLetters.get(p), actualLetters.get(p)));
    }
    differences.addAll(
        BrokerOutcomes.differences(
            "late",
            expectedLate,
            late.stream().map(r -> (Outcome) BrokerOutcomes.late(r)).toList()));

    // Spans: no batch span but those of committed batches (a batch aborted by the kill and
    // redone has the same ids), and every span context linked exactly as often as the model says.
    Set<String> batchSpans = new HashSet<>();
    Map<String, Integer> gotLinks = new HashMap<>();
    for (Map.Entry<String, Span> span : observed.spans().entrySet()) {
      if (span.getValue().getName().equals(ClusterRun.BATCH_SPAN)) {
        batchSpans.add(span.getKey());
      }
      span.getValue()
          .getLinksList()
          .forEach(
              l ->
                  gotLinks.merge(
                      ItSupport.ids(l.getTraceId().toByteArray(), l.getSpanId().toByteArray()),
                      1,
                      Integer::sum));
    }
    if (!batchSpans.equals(committedSpans)) {
      differences.add(
          "batch spans of no committed batch: "
              + batchSpans.stream().filter(s -> !committedSpans.contains(s)).toList()
              + "; committed batches without a span: "
              + committedSpans.stream().filter(s -> !batchSpans.contains(s)).toList());
    }
    List<Outcome.LinkOut> modelLinks =
        expectedBatches.values().stream()
            .flatMap(List::stream)
            .flatMap(b -> ((Outcome.Batch) b).links().stream())
            .toList();
    Map<String, Integer> wantLinks = new HashMap<>();
    modelLinks.forEach(l -> wantLinks.merge(l.traceId() + "/" + l.spanId(), 1, Integer::sum));
    if (!wantLinks.equals(gotLinks)) {
      differences.add(
          "span contexts linked other than the model says: "
              + gotLinks.entrySet().stream()
                  .filter(e -> !e.getValue().equals(wantLinks.get(e.getKey())))
                  .limit(10)
                  .map(
                      e ->
                          e.getKey()
                              + " x"
                              + e.getValue()
                              + " (model x"
                              + wantLinks.get(e.getKey())
                              + ")")
                  .toList()
              + " missing: "
              + wantLinks.keySet().stream()
                  .filter(k -> !gotLinks.containsKey(k))
                  .limit(10)
                  .toList());
    }

    String summary =
        String.format(
            "%s%n  model: %d batches (%d orders, %d duplicates, %d links), %d late, %d dead"
                + " letters; read: %d batches, %d late, %d dead letters, %d distinct spans",
            reproduce,
            batchCount,
            expectedBatches.values().stream()
                .flatMap(List::stream)
                .mapToLong(b -> ((Outcome.Batch) b).orderCount())
                .sum(),
            expectedBatches.values().stream()
                .flatMap(List::stream)
                .mapToLong(b -> ((Outcome.Batch) b).duplicateCount())
                .sum(),
            modelLinks.size(),
            expectedLate.size(),
            letterCount,
            batches.size(),
            late.size(),
            letters.size(),
            observed.spans().size());
    System.out.println(summary);
    assertThat(differences)
        .as(
            "%s%n%s",
            summary, differences.stream().limit(20).collect(Collectors.joining("\n  ", "  ", "")))
        .isEmpty();
    assertThat(batchCount).as("the cases close batches").isPositive();
  }

  /** Produces {@code deliveries} in order, at {@link #RATE} per second, counting into sent. */
  private static CompletableFuture<Void> produce(
      KafkaProducer<byte[], byte[]> producer,
      ClusterRun run,
      List<ModelPlan.Delivery> deliveries,
      AtomicInteger sent) {
    return CompletableFuture.runAsync(
        () -> {
          long started = System.nanoTime();
          for (int i = 0; i < deliveries.size(); i++) {
            ModelPlan.Delivery delivery = deliveries.get(i);
            ModelEvent.Send send = delivery.send();
            RecordHeaders headers = new RecordHeaders();
            send.headers().forEach(h -> headers.add(h.key(), h.value()));
            producer.send(
                new ProducerRecord<>(
                    run.ordersTopic(),
                    delivery.partition(),
                    send.timestampMs(),
                    send.key(),
                    send.value(),
                    headers));
            sent.incrementAndGet();
            long due = started + (i + 1) * 1_000_000_000L / RATE;
            LockSupport.parkNanos(due - System.nanoTime());
          }
          producer.flush();
        });
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrapServers) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ProducerConfig.ACKS_CONFIG,
            "all",
            // In order per partition, whatever the retries: the model reads them in that order.
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            "true"),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  /** Waits until the application's committed offsets reach the end of every orders partition. */
  private static void awaitAllConsumed(Admin admin, ClusterRun run, String what) {
    await(what)
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
              for (int p = 0; p < PARTITIONS; p++) {
                latest.put(new TopicPartition(run.ordersTopic(), p), OffsetSpec.latest());
              }
              Map<TopicPartition, Long> ends = new HashMap<>();
              admin
                  .listOffsets(latest)
                  .all()
                  .get()
                  .forEach((tp, info) -> ends.put(tp, info.offset()));
              Map<TopicPartition, OffsetAndMetadata> committed =
                  admin
                      .listConsumerGroupOffsets(run.applicationId())
                      .partitionsToOffsetAndMetadata()
                      .get();
              return ends.entrySet().stream()
                  .allMatch(
                      e ->
                          committed.get(e.getKey()) != null
                              && committed.get(e.getKey()).offset() == e.getValue());
            });
  }

  /** Waits until the group is stable with both instances holding orders partitions. */
  private static void awaitBalanced(Admin admin, ClusterRun run, ChildJvm a, ChildJvm b) {
    await("a and b both hold orders partitions")
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              Set<Integer> ofA = partitionsOf(admin, run, a);
              Set<Integer> ofB = partitionsOf(admin, run, b);
              return !ofA.isEmpty()
                  && !ofB.isEmpty()
                  && ofA.size() + ofB.size() == PARTITIONS
                  && running(a)
                  && running(b);
            });
  }

  /** Whether the instance's last state transition was to RUNNING (its tasks are restored). */
  private static boolean running(ChildJvm instance) throws java.io.IOException {
    String log = instance.output();
    return log.lastIndexOf("to RUNNING") > log.lastIndexOf("to REBALANCING");
  }

  /** The orders partitions {@code instance} holds; none while the group is not stable. */
  private static Set<Integer> partitionsOf(Admin admin, ClusterRun run, ChildJvm instance)
      throws Exception {
    Matcher client = STREAM_CLIENT.matcher(instance.output());
    if (!client.find()) {
      return Set.of();
    }
    ConsumerGroupDescription group =
        admin
            .describeConsumerGroups(List.of(run.applicationId()))
            .all()
            .get()
            .get(run.applicationId());
    if (group.groupState() != GroupState.STABLE) {
      return Set.of();
    }
    return group.members().stream()
        .filter(m -> m.clientId().startsWith(client.group(1) + "-"))
        .flatMap(m -> m.assignment().topicPartitions().stream())
        .filter(tp -> tp.topic().equals(run.ordersTopic()))
        .map(TopicPartition::partition)
        .collect(Collectors.toSet());
  }

  /** The sum of the application's committed offsets on these orders partitions. */
  private static long committed(Admin admin, ClusterRun run, Set<Integer> partitions)
      throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(run.applicationId()).partitionsToOffsetAndMetadata().get();
    return partitions.stream()
        .map(p -> committed.get(new TopicPartition(run.ordersTopic(), p)))
        .filter(o -> o != null)
        .mapToLong(OffsetAndMetadata::offset)
        .sum();
  }

  /** Kafka Streams names its client {@code <application.id>-<process id>} in every state line. */
  private static final Pattern STREAM_CLIENT = Pattern.compile("stream-client \\[([^\\]]+)\\]");

  private static long seed() {
    String given = System.getProperty("spanlinks.model.seed");
    return given == null || given.isBlank()
        ? new SplittableRandom().nextLong()
        : Long.parseLong(given.trim());
  }
}
