package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write the broker still refuses although the app held its input to the limits it read at
 * start-up: the late topic's {@code max.message.bytes} is lowered while the app runs, and a late
 * order with one large header no longer fits there. Under exactly_once_v2 (the app's default) the
 * refusal dooms the whole transaction. The refused order must end on the dead-letter topic once,
 * and nothing else of that transaction may be lost or doubled: the late orders around it are on the
 * late topic once each, every ordinary order is batched and linked once, the app stays up. Read
 * with read_committed, as a downstream consumer.
 */
@ExtendWith(KafkaClusterExtension.class)
class RefusedWriteIT {
  /** What the late topic takes once lowered: a small late order fits, one with the header not. */
  private static final int LATE_TOPIC_MAX_BYTES = 8_192;

  private static final int LARGE_HEADER_BYTES = 20_000;

  /** The last hour closes by idle close; the burst is one send, so no gap passes for idle. */
  private static final Duration IDLE_CLOSE = Duration.ofSeconds(3);

  private static final Duration TIMEOUT = Duration.ofSeconds(45);
  private static final Duration SHORT = Duration.ofSeconds(2);

  private static final String ERRORS_MESSAGE = "__streams.errors.message";
  private static final Pattern ORDER_ID = Pattern.compile("\"orderId\"\\s*:\\s*\"([^\"]+)\"");

  @Test
  void shouldDeadLetterARefusedWriteAndLoseOrDoubleNothingElseOfItsTransaction(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    // Hours that ended before the test: the wall clock never holds a close back.
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(4));
    List<Input> inputs =
        List.of(
            Input.order(1, hour.plus(Duration.ofMinutes(10))),
            Input.order(2, hour.plus(Duration.ofMinutes(20))),
            Input.order(3, hour.plus(Duration.ofMinutes(30))),
            // Past the first hour and its five minutes' grace: it closes with three orders.
            Input.order(4, hour.plus(Duration.ofMinutes(70))),
            Input.late(1, hour.plus(Duration.ofMinutes(40)), 0),
            Input.late(2, hour.plus(Duration.ofMinutes(45)), LARGE_HEADER_BYTES),
            Input.late(3, hour.plus(Duration.ofMinutes(50)), 0),
            Input.order(5, hour.plus(Duration.ofMinutes(80))),
            Input.order(6, hour.plus(Duration.ofMinutes(90))),
            // Closes the second hour; its own hour closes by idle close.
            Input.order(7, hour.plus(Duration.ofMinutes(130))));
    List<Input> orders = inputs.stream().filter(input -> !input.late()).toList();
    Input refused = inputs.stream().filter(input -> input.headerBytes() > 0).findFirst().get();
    List<Input> fitting = inputs.stream().filter(i -> i.late() && i != refused).toList();

    // One partition: one task, one stream time, the records met in the order they are sent.
    try (ClusterRun run = ClusterRun.create(kafka.bootstrapServers(), "refused", dir, 1)) {
      int metricsPort = ItSupport.freePort();
      ChildJvm app =
          run.startInstance(
              "a",
              Map.of("spanlinks.idle.close.ms", Long.toString(IDLE_CLOSE.toMillis())),
              Map.of(
                  "OTEL_METRICS_EXPORTER",
                  "prometheus",
                  "OTEL_EXPORTER_PROMETHEUS_HOST",
                  "127.0.0.1",
                  "OTEL_EXPORTER_PROMETHEUS_PORT",
                  Integer.toString(metricsPort)));
      // The app read 1 MiB at start-up and admits the large header; the broker now refuses it.
      lowerLateTopicLimit(run);
      try (KafkaProducer<String, String> producer =
          ItSupport.stringProducer(run.bootstrapServers())) {
        // One burst: the refused write shares its transaction with the late orders around it,
        // the first hour's batch and the second hour's orders.
        for (Input input : inputs) {
          producer.send(input.record(run.ordersTopic()));
        }
        producer.flush();
      }
      assertThat(run.ordersOnTopic()).as("every record reached the broker").isEqualTo(10);

      // The idle close of the last hour comes after every input was processed and committed.
      List<ConsumerRecord<String, OrderBatch>> batches =
          awaitWhileUp(
              app,
              run,
              "every ordinary order in a batch",
              () -> TopicReader.batches(run.bootstrapServers(), run.batchesTopic(), 1, SHORT),
              b -> b.stream().mapToLong(r -> r.value().orderCount()).sum() >= orders.size());
      List<ConsumerRecord<byte[], byte[]>> deadLetters = readAll(run, run.deadLetterTopic(), 1);
      List<ConsumerRecord<byte[], byte[]>> late = readAll(run, run.lateTopic(), fitting.size());

      assertThat(orderIds(deadLetters))
          .as(() -> "dead letters\n" + report(app, run))
          .containsExactly(refused.orderId());
      assertThat(ItSupport.header(deadLetters.get(0).headers(), ERRORS_MESSAGE))
          .as("the reason on the dead letter")
          .contains("the broker refused it before");
      assertThat(orderIds(late))
          .as(() -> "late orders\n" + report(app, run))
          .containsExactlyInAnyOrderElementsOf(fitting.stream().map(Input::orderId).toList());
      assertThat(late)
          .as("the late topic spanlinks created stamps records when written: kept by retention")
          .allSatisfy(
              record ->
                  assertThat(record.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME));
      assertOrdersBatchedOnce(batches, orders);
      assertLinkedOnce(app, run, batches, orders, inputs);
      // The aborted transaction's records were processed twice; counted once, as committed.
      assertThat(outcomes(metricsPort))
          .as(() -> "spanlinks_orders_total by outcome\n" + report(app, run))
          .isEqualTo(
              Map.of("batched", (double) orders.size(), "late", (double) fitting.size() + 1));
      await("the app up").during(Duration.ofSeconds(2)).atMost(TIMEOUT).until(app::isAlive);
      assertThat(app.output())
          .as("the path the refusal took")
          .contains("The broker refused a record spanlinks wrote")
          .contains("Replacing the stream thread: a write the broker refused is dead-lettered");
    }
  }

  private static void lowerLateTopicLimit(ClusterRun run) throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, run.bootstrapServers()))) {
      ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, run.lateTopic());
      admin
          .incrementalAlterConfigs(
              Map.of(
                  topic,
                  List.of(
                      new AlterConfigOp(
                          new ConfigEntry(
                              TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                              Integer.toString(LATE_TOPIC_MAX_BYTES)),
                          AlterConfigOp.OpType.SET))))
          .all()
          .get();
      await("the broker applies the lower limit")
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  admin
                      .describeConfigs(List.of(topic))
                      .all()
                      .get()
                      .get(topic)
                      .get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG)
                      .value(),
              Integer.toString(LATE_TOPIC_MAX_BYTES)::equals);
    }
  }

  /**
   * {@code spanlinks.orders} by outcome, scraped from the app. The refused late order keeps its
   * outcome (late); its refusal is counted in {@code spanlinks.writes.refused}.
   */
  private static Map<String, Double> outcomes(int metricsPort) throws Exception {
    Map<String, Double> outcomes = new HashMap<>();
    for (PrometheusScrape.Sample sample :
        PrometheusScrape.of("http://127.0.0.1:" + metricsPort + "/metrics")
            .samples("spanlinks_orders_total")) {
      outcomes.merge(sample.labels().get("spanlinks_outcome"), sample.value(), Double::sum);
    }
    return outcomes;
  }

  /** One batch per hour of the ordinary orders, each holding and linking exactly its orders. */
  private static void assertOrdersBatchedOnce(
      List<ConsumerRecord<String, OrderBatch>> batches, List<Input> orders) {
    Map<String, Long> expected =
        orders.stream()
            .collect(
                Collectors.groupingBy(
                    o -> "eu@" + o.createdAt().truncatedTo(ChronoUnit.HOURS),
                    Collectors.counting()));
    assertThat(batches.stream().map(RefusedWriteIT::window))
        .as("one batch per hour, none doubled")
        .containsExactlyInAnyOrderElementsOf(expected.keySet());
    for (ConsumerRecord<String, OrderBatch> batch : batches) {
      assertThat(batch.value().orderCount())
          .as("orders of %s", window(batch))
          .isEqualTo(expected.get(window(batch)));
      assertThat(batch.value().linkedCount())
          .as("linked orders of %s", window(batch))
          .isEqualTo(batch.value().orderCount());
      assertThat(batch.value().duplicateCount()).as("duplicates in %s", window(batch)).isZero();
    }
  }

  /**
   * Every ordinary order linked by exactly one batch or chunk span, no late order by any; the
   * distinct batch spans are exactly the committed batches (a span of an aborted close that was
   * re-emitted has the same id and the same links).
   */
  private static void assertLinkedOnce(
      ChildJvm app,
      ClusterRun run,
      List<ConsumerRecord<String, OrderBatch>> batches,
      List<Input> orders,
      List<Input> inputs)
      throws Exception {
    Set<String> committed =
        batches.stream()
            .map(b -> b.value().traceId() + "/" + b.value().spanId())
            .collect(Collectors.toSet());
    Map<String, Span> spans =
        awaitWhileUp(
            app,
            run,
            "the batch spans",
            () -> spans(run),
            received -> received.keySet().containsAll(committed));
    assertThat(
            spans.entrySet().stream()
                .filter(s -> s.getValue().getName().equals(ClusterRun.BATCH_SPAN))
                .map(Map.Entry::getKey))
        .as("distinct batch spans = committed batches")
        .containsExactlyInAnyOrderElementsOf(committed);
    Map<String, List<String>> spansByOrder = ClusterRun.spansLinkingEachOrder(spans);
    assertThat(spansByOrder.keySet())
        .as("linked orders")
        .containsExactlyInAnyOrderElementsOf(orders.stream().map(Input::context).toList())
        .doesNotContainAnyElementsOf(
            inputs.stream().filter(Input::late).map(Input::context).toList());
    spansByOrder.forEach(
        (order, linking) -> assertThat(linking).as("spans linking order %s", order).hasSize(1));
  }

  /** Batch and chunk spans received so far, by {@code traceId/spanId}; one of each copy. */
  private static Map<String, Span> spans(ClusterRun run) {
    Map<String, Span> spans = new HashMap<>();
    for (OtlpReceiver.ReceivedSpan received : run.spans()) {
      Span span = received.span();
      if (span.getName().equals(ClusterRun.BATCH_SPAN)
          || span.getName().equals(ClusterRun.CHUNK_SPAN)) {
        String id = ItSupport.ids(span.getTraceId().toByteArray(), span.getSpanId().toByteArray());
        Span earlier = spans.putIfAbsent(id, span);
        if (earlier != null) {
          assertThat(span.getLinksList())
              .as("links of %s, received twice", id)
              .isEqualTo(earlier.getLinksList());
        }
      }
    }
    return spans;
  }

  /**
   * Waits for {@code value} to match; fails at once when the app stopped, and on either failure
   * says what the app logged and what each topic holds: a stopped app or a loop is the finding.
   */
  private static <T> T awaitWhileUp(
      ChildJvm app, ClusterRun run, String alias, Callable<T> value, Predicate<? super T> matches)
      throws Exception {
    try {
      return await(alias)
          .atMost(TIMEOUT)
          .pollInterval(Duration.ofMillis(500))
          .failFast("the app stopped", () -> !app.isAlive())
          .until(value, matches);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + "\n" + report(app, run), e);
    }
  }

  /** What the app logged about the refusal and its threads, and what each output topic holds. */
  private static String report(ChildJvm app, ClusterRun run) {
    StringBuilder report = new StringBuilder();
    try {
      List<String> lines =
          app.output()
              .lines()
              .filter(
                  l ->
                      l.contains("ERROR")
                          || l.contains("WARN")
                          || l.contains("Exception")
                          || l.contains("Caused by")
                          || l.contains("State transition")
                          || l.contains("spanlinks"))
              .map(l -> l.length() > 400 ? l.substring(0, 400) + "..." : l)
              .toList();
      report
          .append("app alive=")
          .append(app.isAlive())
          .append("; its log (")
          .append(lines.size())
          .append(" lines kept):\n")
          .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size())));
    } catch (IOException e) {
      report.append("app log unreadable: ").append(e);
    }
    report
        .append("\nbatches: ")
        .append(
            TopicReader.batches(run.bootstrapServers(), run.batchesTopic(), 99, SHORT).stream()
                .map(b -> window(b) + "=" + b.value().orderCount())
                .toList())
        .append("\nlate: ")
        .append(orderIds(readAll(run, run.lateTopic(), 99)))
        .append("\ndead letters: ")
        .append(orderIds(readAll(run, run.deadLetterTopic(), 99)));
    return report.toString();
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(
      ClusterRun run, String topic, int atLeast) {
    return TopicReader.read(
        run.bootstrapServers(),
        topic,
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer(),
        atLeast,
        SHORT);
  }

  /** The order id in each record's JSON value, in topic order. */
  private static List<String> orderIds(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream()
        .map(
            r -> {
              Matcher id = ORDER_ID.matcher(new String(r.value(), StandardCharsets.UTF_8));
              return id.find() ? id.group(1) : "(no id)";
            })
        .toList();
  }

  private static String window(ConsumerRecord<String, OrderBatch> batch) {
    return batch.key() + "@" + batch.value().windowStart();
  }

  /**
   * One traced order of batch key {@code eu}, with a hand-written {@code traceparent}.
   *
   * @param late true when its hour has closed by the time it comes
   * @param headerBytes the size of an extra header it carries; 0 for none
   */
  private record Input(
      String orderId, Instant createdAt, int traceNumber, boolean late, int headerBytes) {
    static Input order(int n, Instant createdAt) {
      return new Input("order-" + n, createdAt, n, false, 0);
    }

    static Input late(int n, Instant createdAt, int headerBytes) {
      return new Input("late-" + n, createdAt, 100 + n, true, headerBytes);
    }

    ProducerRecord<String, String> record(String topic) {
      RecordHeaders headers = new RecordHeaders();
      headers.add("traceparent", traceparent().getBytes(StandardCharsets.UTF_8));
      if (headerBytes > 0) {
        headers.add("padding", "p".repeat(headerBytes).getBytes(StandardCharsets.UTF_8));
      }
      String json =
          "{\"orderId\":\""
              + orderId
              + "\",\"amount\":1.00,\"currency\":\"EUR\",\"createdAt\":\""
              + createdAt
              + "\"}";
      return new ProducerRecord<>(topic, null, createdAt.toEpochMilli(), "eu", json, headers);
    }

    String traceparent() {
      return String.format(
          Locale.ROOT, "00-%032x-%016x-01", 0xfee000L + traceNumber, 0xbad000L + traceNumber);
    }

    /** The span context, as {@link ItSupport#ids} writes it. */
    String context() {
      return traceparent().substring(3, 35) + "/" + traceparent().substring(36, 52);
    }
  }
}
