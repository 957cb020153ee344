package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records that are each one bad input, not a bug, but that the broker, Kafka or the JDK would turn
 * into an exception that stops the app, produced by {@code kcat} among ordinary traced orders in
 * the same windows, on a broker with its default limits ({@code max.message.bytes} 1 MiB, {@code
 * message.timestamp.after.max.ms} 1 h). Each poison record ends in the dead-letter topic with a
 * reason; every ordinary order is batched and linked exactly once; the app stays up. A restart on
 * the same application id and state directory, with the same records on the input topic, stays up
 * too and emits nothing a second time: a poison record left behind would be a crash loop.
 */
@ExtendWith(KafkaClusterExtension.class)
class PoisonRecordIT {
  /** Long enough that the gaps between kcat runs on a busy machine never pass for a quiet topic. */
  private static final Duration IDLE_CLOSE = Duration.ofSeconds(4);

  /**
   * Longer than the minute or so the app's producer blocks after the broker refuses a record
   * (DESIGN.md section 8): when the app stops on one, the test says so rather than time out first.
   */
  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  private static final Duration SHORT = Duration.ofSeconds(2);

  private static final String DEAD_LETTER_TIMESTAMP = "spanlinks.dead.letter.timestamp";
  private static final String ERRORS_MESSAGE = "__streams.errors.message";

  @Test
  void shouldDeadLetterPoisonRecordsAndStayUpAcrossARestart(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    assumeKcat();
    // Hours that ended before the test: the last one closes by idle close.
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
    List<Input> inputs =
        List.of(
            Input.order(1, hour.plus(Duration.ofMinutes(10))),
            // Jackson reads it; precision() - scale() overflows int, and setScale(0) throws.
            Input.poison(
                "huge exponent",
                "eu",
                "{\"orderId\":\"poison-exp\",\"amount\":1E+2147483647,\"currency\":\"EUR\","
                    + "\"createdAt\":\""
                    + hour.plus(Duration.ofMinutes(15))
                    + "\"}",
                101),
            Input.order(2, hour.plus(Duration.ofMinutes(20))),
            // Its batch would hold the key twice, as record key and in the JSON: 1.2 MB, past 1
            // MiB.
            Input.poison(
                "600,000-byte key",
                "k".repeat(600_000),
                orderJson("poison-long-key", hour.plus(Duration.ofMinutes(25))),
                102),
            Input.order(3, hour.plus(Duration.ofMinutes(30))),
            // 120,000 bytes of key, each a six-byte escape in the JSON of its batch.
            Input.poison(
                "120,000 control characters as key",
                "\u0001".repeat(120_000),
                orderJson("poison-control-key", hour.plus(Duration.ofMinutes(35))),
                103),
            // Stream time passes the first hour and its grace: it closes with three orders.
            Input.order(4, hour.plus(Duration.ofMinutes(70))),
            Input.order(5, hour.plus(Duration.ofMinutes(80))));

    try (ClusterRun run = ClusterRun.create(kafka.bootstrapServers(), "poison", dir, 1)) {
      assertDeadLetteredAndStaysUpAcrossRestart(run, Map.of(), inputs, dir);
    }
  }

  @Test
  void shouldDeadLetterAnOrderFromTheFutureBeforeRepartitioning(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    assumeKcat();
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
    List<Input> inputs =
        List.of(
            Input.order(1, hour.plus(Duration.ofMinutes(10))),
            // kcat stamps the record with the wall clock; its event time, two hours ahead, is what
            // a repartition record would carry, an hour past what the broker accepts.
            Input.poison(
                "event time 2 h ahead",
                "eu",
                orderJson("poison-future", Instant.now().plus(Duration.ofHours(2))),
                101),
            Input.order(2, hour.plus(Duration.ofMinutes(20))),
            Input.order(3, hour.plus(Duration.ofMinutes(70))));

    try (ClusterRun run = ClusterRun.create(kafka.bootstrapServers(), "poison-rk", dir, 1)) {
      assertDeadLetteredAndStaysUpAcrossRestart(
          run, Map.of("spanlinks.repartition.by.key", "true"), inputs, dir);
    }
  }

  private static void assertDeadLetteredAndStaysUpAcrossRestart(
      ClusterRun run, Map<String, String> settings, List<Input> inputs, Path dir) throws Exception {
    List<Input> poisons = inputs.stream().filter(Input::poison).toList();
    List<Input> orders = inputs.stream().filter(input -> !input.poison()).toList();
    Map<String, String> appSettings = new HashMap<>(settings);
    appSettings.put("spanlinks.idle.close.ms", Long.toString(IDLE_CLOSE.toMillis()));

    ChildJvm app = run.startInstance("a", appSettings);
    for (Input input : inputs) {
      kcat(run, input, dir);
    }
    assertThat(run.ordersOnTopic()).as("every record reached the broker").isEqualTo(inputs.size());

    List<ConsumerRecord<String, OrderBatch>> batches =
        whileUp(app, "every ordinary order in a batch")
            .until(
                () -> TopicReader.batches(run.bootstrapServers(), run.batchesTopic(), 1, SHORT),
                b -> b.stream().mapToLong(r -> r.value().orderCount()).sum() >= orders.size());
    // The last batch closed after every input record was processed and its dead letter committed.
    List<ConsumerRecord<byte[], byte[]>> deadLetters =
        readAll(run, run.deadLetterTopic(), poisons.size(), SHORT);
    assertEachPoisonDeadLetteredOnce(deadLetters, poisons);
    assertOrdersBatched(batches, orders);
    Set<String> batchSpanIds =
        batches.stream()
            .map(b -> b.value().traceId() + "/" + b.value().spanId())
            .collect(Collectors.toSet());
    whileUp(app, "the batch spans").until(() -> spanIds(run).keySet().containsAll(batchSpanIds));
    assertLinkedOnce(run, orders, poisons);
    whileUp(app, "the app up").during(Duration.ofSeconds(2)).until(app::isAlive);
    long spans = batchSpansReceived(run);

    // A JVM ended by SIGTERM exits with 143 (128 + 15) even when its shutdown hook ran cleanly.
    assertThat(app.terminate(60)).as("clean stop on SIGTERM").isIn(0, 143);
    assertThat(app.output()).contains("spanlinks stopped cleanly");
    ChildJvm restarted = run.startInstance("a", appSettings);
    // Past an idle close: a window emitted again would come within it.
    whileUp(restarted, "the restarted app up")
        .during(IDLE_CLOSE.plusSeconds(2))
        .until(restarted::isAlive);
    // Anything emitted while it ran is committed by now: a short read finds it.
    assertThat(readAll(run, run.deadLetterTopic(), poisons.size() + 1, Duration.ofMillis(500)))
        .as("dead letters after the restart")
        .hasSameSizeAs(deadLetters);
    assertThat(
            TopicReader.batches(
                    run.bootstrapServers(),
                    run.batchesTopic(),
                    batches.size() + 1,
                    Duration.ofMillis(500))
                .stream()
                .map(PoisonRecordIT::window))
        .as("batches after the restart")
        .containsExactlyInAnyOrderElementsOf(batches.stream().map(PoisonRecordIT::window).toList());
    assertThat(batchSpansReceived(run))
        .as("batch and chunk spans after the restart")
        .isEqualTo(spans);
  }

  /** Each poison record on the dead-letter topic once, as it was sent, with a reason. */
  private static void assertEachPoisonDeadLetteredOnce(
      List<ConsumerRecord<byte[], byte[]>> deadLetters, List<Input> poisons) {
    for (Input poison : poisons) {
      List<ConsumerRecord<byte[], byte[]>> mine =
          deadLetters.stream()
              .filter(
                  d ->
                      Arrays.equals(d.key(), poison.key())
                          && Arrays.equals(d.value(), poison.valueBytes()))
              .toList();
      assertThat(mine).as("dead letters of the %s", poison.name()).hasSize(1);
      assertThat(ItSupport.header(mine.get(0).headers(), ERRORS_MESSAGE))
          .as("the reason the %s was dead-lettered", poison.name())
          .isNotBlank();
      // Retention counts from the write, not from the record's own (hours old) timestamp,
      // which a header keeps.
      assertThat(mine.get(0).timestampType())
          .as("the dead-letter topic spanlinks created")
          .isEqualTo(TimestampType.LOG_APPEND_TIME);
      assertThat(ItSupport.header(mine.get(0).headers(), DEAD_LETTER_TIMESTAMP))
          .as("the %s's own timestamp, in milliseconds", poison.name())
          .containsOnlyDigits();
    }
    assertThat(deadLetters).as("dead letters").hasSameSizeAs(poisons);
  }

  /** One batch per hour of the ordinary orders, each holding (and linking) exactly those orders. */
  private static void assertOrdersBatched(
      List<ConsumerRecord<String, OrderBatch>> batches, List<Input> orders) {
    Map<String, Long> expected =
        orders.stream()
            .collect(
                Collectors.groupingBy(
                    o -> "eu@" + o.createdAt().truncatedTo(ChronoUnit.HOURS),
                    Collectors.counting()));
    assertThat(batches.stream().map(PoisonRecordIT::window))
        .as("one batch per (key, hour) of the ordinary orders")
        .containsExactlyInAnyOrderElementsOf(expected.keySet());
    for (ConsumerRecord<String, OrderBatch> batch : batches) {
      assertThat(batch.value().orderCount())
          .as(window(batch))
          .isEqualTo(expected.get(window(batch)));
      assertThat(batch.value().linkedCount())
          .as(window(batch))
          .isEqualTo(batch.value().orderCount());
    }
  }

  /** Every ordinary order linked by exactly one batch or chunk span; no poison record by any. */
  private static void assertLinkedOnce(ClusterRun run, List<Input> orders, List<Input> poisons) {
    Map<String, List<String>> spansByOrder = ClusterRun.spansLinkingEachOrder(spanIds(run));
    assertThat(spansByOrder.keySet())
        .as("linked orders")
        .containsExactlyInAnyOrderElementsOf(orders.stream().map(Input::context).toList())
        .doesNotContainAnyElementsOf(poisons.stream().map(Input::context).toList());
    spansByOrder.forEach(
        (order, spans) -> assertThat(spans).as("spans linking order %s", order).hasSize(1));
  }

  /** Batch and chunk spans received so far, by {@code traceId/spanId}; one of each copy. */
  private static Map<String, Span> spanIds(ClusterRun run) {
    Map<String, Span> spans = new HashMap<>();
    for (OtlpReceiver.ReceivedSpan received : run.spans()) {
      Span span = received.span();
      if (span.getName().equals(ClusterRun.BATCH_SPAN)
          || span.getName().equals(ClusterRun.CHUNK_SPAN)) {
        spans.putIfAbsent(
            ItSupport.ids(span.getTraceId().toByteArray(), span.getSpanId().toByteArray()), span);
      }
    }
    return spans;
  }

  /** Batch and chunk spans received so far, every copy counted. */
  private static long batchSpansReceived(ClusterRun run) {
    return run.spans().stream()
        .map(OtlpReceiver.ReceivedSpan::span)
        .filter(
            s ->
                s.getName().equals(ClusterRun.BATCH_SPAN)
                    || s.getName().equals(ClusterRun.CHUNK_SPAN))
        .count();
  }

  private static String window(ConsumerRecord<String, OrderBatch> batch) {
    return batch.key() + "@" + batch.value().windowStart();
  }

  /**
   * An await that fails at once, with the app's exit code and last log lines, when the app has
   * stopped: a stopped app is the failure, not a slow one.
   */
  private static ConditionFactory whileUp(ChildJvm app, String alias) {
    return await(alias)
        .atMost(TIMEOUT)
        .pollInterval(Duration.ofMillis(500))
        .failFast(
            "the app stopped",
            () -> {
              if (!app.isAlive()) {
                throw new AssertionError(stopReport(app));
              }
            });
  }

  private static String stopReport(ChildJvm app) throws Exception {
    int exit = app.awaitExit(10);
    List<String> lines =
        app.output()
            .lines()
            .filter(
                l ->
                    l.contains("ERROR")
                        || l.contains("WARN")
                        || l.contains("Exception")
                        || l.contains("spanlinks"))
            .map(l -> l.length() > 400 ? l.substring(0, 400) + "..." : l)
            .toList();
    return "The app exited with code "
        + exit
        + "; its errors, warnings and own lines (of "
        + app.output().lines().count()
        + "):\n"
        + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  /** Every record on {@code topic}, waiting up to {@code timeout} for at least {@code atLeast}. */
  private static List<ConsumerRecord<byte[], byte[]>> readAll(
      ClusterRun run, String topic, int atLeast, Duration timeout) {
    return TopicReader.read(
        run.bootstrapServers(),
        topic,
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer(),
        atLeast,
        timeout);
  }

  private static String orderJson(String orderId, Instant createdAt) {
    return "{\"orderId\":\""
        + orderId
        + "\",\"amount\":1.00,\"currency\":\"EUR\",\"createdAt\":\""
        + createdAt
        + "\"}";
  }

  /**
   * One record for kcat: key and value as bytes, a hand-written {@code traceparent}.
   *
   * @param createdAt the event time of an ordinary order; null for a poison record
   */
  private record Input(
      String name, byte[] key, String value, int traceNumber, boolean poison, Instant createdAt) {
    static Input order(int n, Instant createdAt) {
      return new Input(
          "order-" + n,
          "eu".getBytes(StandardCharsets.UTF_8),
          orderJson("order-" + n, createdAt),
          n,
          false,
          createdAt);
    }

    static Input poison(String name, String key, String value, int traceNumber) {
      return new Input(name, key.getBytes(StandardCharsets.UTF_8), value, traceNumber, true, null);
    }

    byte[] valueBytes() {
      return value.getBytes(StandardCharsets.UTF_8);
    }

    String traceparent() {
      return String.format(
          Locale.ROOT, "00-%032x-%016x-01", 0xabc000L + traceNumber, 0xdef000L + traceNumber);
    }

    /** The span context, as {@link ItSupport#ids} writes it. */
    String context() {
      return traceparent().substring(3, 35) + "/" + traceparent().substring(36, 52);
    }
  }

  /**
   * Produces one record with kcat: key and value on one line of its input, split at a tab. kcat's
   * own limit ({@code message.max.bytes}, 1,000,000 by default) lets the 600,000-byte key through.
   */
  private static void kcat(ClusterRun run, Input input, Path dir) throws Exception {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    line.write(input.key());
    line.write('\t');
    line.write(input.valueBytes());
    line.write('\n');
    Path file = Files.write(dir.resolve("kcat-input"), line.toByteArray());
    Process kcat =
        new ProcessBuilder(
                "kcat",
                "-b",
                run.bootstrapServers(),
                "-t",
                run.ordersTopic(),
                "-P",
                "-K",
                "\t",
                "-H",
                "traceparent=" + input.traceparent())
            .redirectInput(file.toFile())
            .redirectErrorStream(true)
            .start();
    assertThat(kcat.waitFor(30, TimeUnit.SECONDS)).as("kcat done").isTrue();
    assertThat(kcat.exitValue())
        .as(new String(kcat.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .isZero();
  }

  private static void assumeKcat() {
    // CI installs kcat (.ci/run); elsewhere the test says why it did not run.
    boolean installed;
    try {
      installed = new ProcessBuilder("kcat", "-V").start().waitFor(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      installed = false;
    }
    assumeTrue(
        installed || "true".equals(System.getenv("CI")),
        "kcat is not installed (apt-get install kcat)");
  }
}
