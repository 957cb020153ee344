package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.app.orders.OrderSerdes;
import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.assertj.core.api.SoftAssertions;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real pipeline at the sizes one hour of traffic reaches: {@code streams-app.jar run} on a real
 * broker closes an hour of twenty thousand batch keys, and an hour of a hundred thousand orders
 * under one key, and exports over OTLP/HTTP with the OpenTelemetry SDK's default batch span
 * processor (a queue of 2,048 ended spans), as users get it. Every traced order must end up linked
 * exactly once, and every batch record must name a batch span that reached the receiver.
 *
 * <p>The orders are sent by a plain batching producer before the app starts, all in one hour three
 * hours back: the app's tasks find input at once, so the idle close cannot close the hour while
 * orders are still coming, and the hour closes as soon as the input goes quiet. Every order is on
 * time.
 */
@ExtendWith(KafkaClusterExtension.class)
class ScaleIT {
  private static final int PARTITIONS = 2;
  private static final double TRACED_RATIO = 0.85;
  private static final String STREAMS_SERVICE = "spanlinks-streams";
  private static final Duration BATCHES_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration SPANS_TIMEOUT = Duration.ofSeconds(60);

  @Test
  void shouldLinkEveryOrderOfTwentyThousandBatchKeysInOneHour(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    Random random = new Random(20_000);
    Instant hour = pastHour();
    List<SentOrder> orders = new ArrayList<>();
    for (int customer = 1; customer <= 20_000; customer++) {
      String key = String.format("customer-%05d", customer);
      orders.add(SentOrder.random(key, hour, orders.size(), random));
      // A tenth of the keys get a second order: batches of one order and of two.
      if (random.nextDouble() < 0.10) {
        orders.add(SentOrder.random(key, hour, orders.size(), random));
      }
    }
    Collections.shuffle(orders, random);

    Pipeline run = runPipeline(kafka, dir, "scale-keys", orders, false);

    Map<String, Long> sentPerKey =
        orders.stream().collect(Collectors.groupingBy(SentOrder::key, Collectors.counting()));
    long keysBatchedWrong =
        run.batches().stream()
            .filter(b -> b.value().orderCount() != sentPerKey.getOrDefault(b.key(), 0L))
            .count();
    LinkAudit links = LinkAudit.of(orders, run.spans());
    BatchAudit batches = BatchAudit.of(run.batches(), run.spans());
    System.out.printf("twenty thousand keys: %s%n  %s%n", links, batches);
    SoftAssertions.assertSoftly(
        softly -> {
          softly.assertThat(batches).isEqualTo(BatchAudit.expected(20_000));
          softly.assertThat(keysBatchedWrong).as("keys with a wrong order count").isZero();
          softly
              .assertThat(run.batches().stream().mapToLong(b -> b.value().linkedCount()).sum())
              .as("linked orders the batch records count")
              .isEqualTo(links.tracedOrders());
          softly.assertThat(links).isEqualTo(LinkAudit.expected(orders));
        });
  }

  @Test
  void shouldLinkAHundredThousandOrderBatchWithReverseLinks(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    Random random = new Random(100_000);
    Instant hour = pastHour();
    List<SentOrder> orders = new ArrayList<>();
    for (int serial = 0; serial < 100_000; serial++) {
      orders.add(SentOrder.random("wholesale-00001", hour, serial, random));
    }

    Pipeline run = runPipeline(kafka, dir, "scale-one-key", orders, true);

    LinkAudit links = LinkAudit.of(orders, run.spans());
    BatchAudit batches = BatchAudit.of(run.batches(), run.spans());
    ReverseAudit reverse = ReverseAudit.of(orders, run.batches(), run.spans());
    System.out.printf(
        "a hundred thousand orders, one key: %s%n  %s%n  %s%n", links, batches, reverse);
    SoftAssertions.assertSoftly(
        softly -> {
          softly.assertThat(batches).isEqualTo(BatchAudit.expected(1));
          softly
              .assertThat(run.batches())
              .extracting(b -> b.value().orderCount())
              .as("orders in the batch")
              .containsExactly(100_000L);
          softly
              .assertThat(run.batches())
              .extracting(b -> b.value().linkedCount())
              .as("linked orders the batch record counts")
              .containsExactly(links.tracedOrders());
          softly.assertThat(links).isEqualTo(LinkAudit.expected(orders));
          softly.assertThat(reverse).isEqualTo(ReverseAudit.expected(orders));
        });
  }

  /** What came out of one run: the committed batch records and every span the app exported. */
  private record Pipeline(List<ConsumerRecord<String, OrderBatch>> batches, List<Span> spans) {}

  /**
   * Sends {@code orders} to a new 2-partition orders topic, then runs the app on it until every
   * order is in a committed batch and the spans that must follow have arrived (or the time is up),
   * then stops it with SIGTERM. Prints how long each step took.
   */
  private static Pipeline runPipeline(
      KafkaCluster kafka, Path dir, String name, List<SentOrder> orders, boolean reverseLinks)
      throws Exception {
    String id = name + "-" + UUID.randomUUID().toString().substring(0, 6);
    createTopic(kafka.bootstrapServers(), "orders-" + id);
    long producing = System.nanoTime();
    produce(kafka.bootstrapServers(), "orders-" + id, orders);
    Duration production = since(producing);

    Path config =
        ItSupport.streamsConfig(
            dir,
            kafka.bootstrapServers(),
            id,
            Map.of(
                // Longer than any pause in reading the backlog: the hour must not close early.
                "spanlinks.idle.close.ms",
                "5000",
                "spanlinks.reverse.links",
                Boolean.toString(reverseLinks)));
    try (OtlpReceiver receiver = new OtlpReceiver();
        ChildJvm streams =
            ChildJvm.start(
                ItSupport.STREAMS_JAR,
                List.of(
                    "run",
                    "--config",
                    config.toString(),
                    "--partitions",
                    Integer.toString(PARTITIONS)),
                otelEnvironment(receiver),
                ItSupport.logs().resolve(id + "-streams.log"))) {
      long starting = System.nanoTime();
      await("streams app running")
          .atMost(Duration.ofSeconds(60))
          .until(() -> streams.output().contains("spanlinks running"));
      Duration startup = since(starting);
      long running = System.nanoTime();
      List<ConsumerRecord<String, OrderBatch>> batches =
          awaitBatches(kafka.bootstrapServers(), "batches-" + id, orders.size());
      Duration closing = since(running);

      long traced = orders.stream().filter(SentOrder::traced).count();
      SpanTally goal = new SpanTally(batches.size(), traced, reverseLinks ? traced : 0);
      long waiting = System.nanoTime();
      boolean complete = awaitSpans(receiver, goal);
      Duration spanArrival = since(waiting);
      System.out.printf(
          "%s: produced %,d orders in %,d ms; app running after %,d ms; all orders in %,d committed"
              + " batches %,d ms later (reading the backlog, 5 s idle, closing); spans %s %,d ms"
              + " after that: %s of %s%n",
          id,
          orders.size(),
          production.toMillis(),
          startup.toMillis(),
          batches.size(),
          closing.toMillis(),
          complete ? "complete" : "still missing",
          spanArrival.toMillis(),
          SpanTally.of(receiver.spans()),
          goal);

      // A JVM ended by SIGTERM exits with 143 (128 + 15) even when its shutdown hook ran cleanly.
      assertThat(streams.terminate(60)).as("clean stop on SIGTERM").isIn(0, 143);
      List<Span> spans =
          receiver.spans().stream()
              .filter(received -> received.serviceName().equals(STREAMS_SERVICE))
              .map(OtlpReceiver.ReceivedSpan::span)
              .toList();
      return new Pipeline(batches, spans);
    }
  }

  /** The hour every order is in: long past, so the idle close closes it at once. */
  private static Instant pastHour() {
    return Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
  }

  private static void createTopic(String bootstrapServers, String topic) throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      admin
          .createTopics(List.of(new NewTopic(topic, Optional.of(PARTITIONS), Optional.empty())))
          .all()
          .get();
    }
  }

  /** Sends every order with a batching producer, as a busy service would; fails on any error. */
  private static void produce(String bootstrapServers, String topic, List<SentOrder> orders) {
    AtomicReference<Exception> failure = new AtomicReference<>();
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.LINGER_MS_CONFIG,
                "20",
                ProducerConfig.BATCH_SIZE_CONFIG,
                Integer.toString(256 * 1024)),
            new StringSerializer(),
            new StringSerializer())) {
      for (SentOrder order : orders) {
        producer.send(
            order.toRecord(topic),
            (metadata, exception) -> {
              if (exception != null) {
                failure.compareAndSet(null, exception);
              }
            });
      }
      producer.flush();
    }
    assertThat(failure.get()).as("send failure").isNull();
  }

  private static Map<String, String> otelEnvironment(OtlpReceiver receiver) {
    // No OTEL_BSP_MAX_QUEUE_SIZE: the default queue of 2,048 spans is what users get.
    return Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        receiver.httpEndpoint(),
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "http/protobuf",
        "OTEL_BSP_SCHEDULE_DELAY",
        "100",
        "OTEL_METRICS_EXPORTER",
        "none",
        "OTEL_LOGS_EXPORTER",
        "none");
  }

  /**
   * Reads the batches topic as a downstream consumer (read_committed) with one consumer until the
   * batches hold {@code orders} orders, then a little longer, so that any batch emitted twice
   * shows.
   */
  private static List<ConsumerRecord<String, OrderBatch>> awaitBatches(
      String bootstrapServers, String topic, long orders) {
    List<ConsumerRecord<String, OrderBatch>> batches = new ArrayList<>();
    try (KafkaConsumer<String, OrderBatch> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                "5000"),
            new StringDeserializer(),
            OrderSerdes.orderBatchDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(info -> new TopicPartition(topic, info.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      await("all " + orders + " orders batched in " + topic)
          .atMost(BATCHES_TIMEOUT)
          .pollInterval(Duration.ofMillis(100))
          .untilAsserted(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(batches::add);
                assertThat(batches.stream().mapToLong(b -> b.value().orderCount()).sum())
                    .as("orders in %,d batch records", batches.size())
                    .isGreaterThanOrEqualTo(orders);
              });
      consumer.poll(Duration.ofSeconds(1)).forEach(batches::add);
    }
    return batches;
  }

  /**
   * Waits until the spans of the goal arrived, or the time is up: spans may reach the receiver a
   * little after the batches they belong to. Returns whether they all came; if not, the audits that
   * follow say which are missing.
   */
  private static boolean awaitSpans(OtlpReceiver receiver, SpanTally goal) {
    try {
      await("spans of every batch")
          .atMost(SPANS_TIMEOUT)
          .pollInterval(Duration.ofMillis(500))
          .until(() -> SpanTally.of(receiver.spans()).reaches(goal));
      return true;
    } catch (ConditionTimeoutException e) {
      return false;
    }
  }

  private static Duration since(long nanoTime) {
    return Duration.ofNanos(System.nanoTime() - nanoTime);
  }

  /** {@code traceId/spanId} that a batch record's {@code traceparent} header names, or null. */
  private static String namedSpan(ConsumerRecord<String, OrderBatch> batch) {
    String traceparent = ItSupport.header(batch.headers(), "traceparent");
    String[] fields = traceparent == null ? new String[0] : traceparent.split("-");
    return fields.length == 4 ? fields[1] + "/" + fields[2] : null;
  }

  private static String ids(Span span) {
    return ItSupport.ids(span.getTraceId().toByteArray(), span.getSpanId().toByteArray());
  }

  private static boolean isBatchOrChunk(Span span) {
    return span.getName().equals("process orders") || span.getName().equals("process orders chunk");
  }

  /**
   * One order as sent. {@code traceId} and {@code spanId} (hex) are null for an order sent without
   * trace context.
   */
  private record SentOrder(
      String key, String orderId, Instant createdAt, String traceId, String spanId) {

    /**
     * An order somewhere in {@code hour}, traced with a probability of {@link #TRACED_RATIO}. The
     * serial makes every trace id unique; the rest is random.
     */
    static SentOrder random(String key, Instant hour, int serial, Random random) {
      Instant createdAt = hour.plusMillis(random.nextInt(3_600_000));
      if (random.nextDouble() >= TRACED_RATIO) {
        return new SentOrder(key, UUID.randomUUID().toString(), createdAt, null, null);
      }
      return new SentOrder(
          key,
          UUID.randomUUID().toString(),
          createdAt,
          String.format("%016x%016x", random.nextLong(), serial),
          String.format("%016x", random.nextLong(1, Long.MAX_VALUE)));
    }

    boolean traced() {
      return traceId != null;
    }

    String context() {
      return traceId + "/" + spanId;
    }

    ProducerRecord<String, String> toRecord(String topic) {
      ProducerRecord<String, String> record =
          new ProducerRecord<>(
              topic,
              key,
              "{\"orderId\":\""
                  + orderId
                  + "\",\"amount\":12.5,\"currency\":\"EUR\",\"createdAt\":\""
                  + createdAt
                  + "\"}");
      if (traced()) {
        // Written by hand, so the wire format is pinned.
        String traceparent = "00-" + traceId + "-" + spanId + "-01";
        record.headers().add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
      }
      return record;
    }
  }

  /** Counts, cheap to take while waiting, of the spans that must arrive. */
  private record SpanTally(long batchSpans, long batchLinks, long reverseSpans) {
    static SpanTally of(List<OtlpReceiver.ReceivedSpan> received) {
      long batchSpans = 0;
      long batchLinks = 0;
      long reverseSpans = 0;
      for (OtlpReceiver.ReceivedSpan each : received) {
        Span span = each.span();
        batchSpans += span.getName().equals("process orders") ? 1 : 0;
        batchLinks += isBatchOrChunk(span) ? span.getLinksCount() : 0;
        reverseSpans += span.getName().equals("batched") ? 1 : 0;
      }
      return new SpanTally(batchSpans, batchLinks, reverseSpans);
    }

    boolean reaches(SpanTally goal) {
      return batchSpans >= goal.batchSpans
          && batchLinks >= goal.batchLinks
          && reverseSpans >= goal.reverseSpans;
    }
  }

  /**
   * The links of all batch and chunk spans against the traced orders: each traced order linked
   * exactly once, no other link, none dropped by the SDK ({@code dropped_links_count}). Links
   * between the batch span and its chunk traces ({@code spanlinks.link.to}) are not order links.
   */
  private record LinkAudit(
      long tracedOrders,
      long links,
      long ordersNeverLinked,
      long ordersLinkedTwiceOrMore,
      long linksToNoTracedOrder,
      long droppedLinks) {

    static LinkAudit expected(List<SentOrder> orders) {
      long traced = orders.stream().filter(SentOrder::traced).count();
      return new LinkAudit(traced, traced, 0, 0, 0, 0);
    }

    static LinkAudit of(List<SentOrder> orders, List<Span> spans) {
      Set<String> traced =
          orders.stream()
              .filter(SentOrder::traced)
              .map(SentOrder::context)
              .collect(Collectors.toSet());
      Map<String, Integer> timesLinked = new HashMap<>();
      long links = 0;
      long dropped = 0;
      for (Span span : spans) {
        if (isBatchOrChunk(span)) {
          dropped += span.getDroppedLinksCount();
          for (Span.Link link : span.getLinksList()) {
            if (link.getAttributesList().stream()
                .anyMatch(a -> a.getKey().equals("spanlinks.link.to"))) {
              continue; // between the batch span and a chunk trace, not to an order
            }
            links++;
            timesLinked.merge(
                ItSupport.ids(link.getTraceId().toByteArray(), link.getSpanId().toByteArray()),
                1,
                Integer::sum);
          }
        }
      }
      return new LinkAudit(
          traced.size(),
          links,
          traced.stream().filter(context -> !timesLinked.containsKey(context)).count(),
          timesLinked.values().stream().filter(times -> times > 1).count(),
          timesLinked.keySet().stream().filter(context -> !traced.contains(context)).count(),
          dropped);
    }
  }

  /**
   * The batch records against the {@code process orders} spans: one record per batch key, and each
   * record's {@code traceparent} names exactly one span that arrived.
   */
  private record BatchAudit(
      long batchRecords,
      long batchKeys,
      long batchSpans,
      long recordsNamingNoArrivedSpan,
      long recordsNamingASpanReceivedTwice) {

    static BatchAudit expected(long batches) {
      return new BatchAudit(batches, batches, batches, 0, 0);
    }

    static BatchAudit of(List<ConsumerRecord<String, OrderBatch>> batches, List<Span> spans) {
      Map<String, Long> received =
          spans.stream()
              .filter(span -> span.getName().equals("process orders"))
              .collect(Collectors.groupingBy(ScaleIT::ids, Collectors.counting()));
      Function<ConsumerRecord<String, OrderBatch>, Long> timesReceived =
          batch -> received.getOrDefault(namedSpan(batch), 0L);
      return new BatchAudit(
          batches.size(),
          batches.stream().map(ConsumerRecord::key).distinct().count(),
          received.values().stream().mapToLong(Long::longValue).sum(),
          batches.stream().filter(batch -> timesReceived.apply(batch) == 0).count(),
          batches.stream().filter(batch -> timesReceived.apply(batch) > 1).count());
    }
  }

  /**
   * The {@code batched} spans against the traced orders: for each traced order exactly one, a child
   * of the order's span in the order's trace, with one link, to the batch span that the batch
   * record names (whether that span arrived is {@link BatchAudit}'s question).
   */
  private record ReverseAudit(
      long tracedOrders,
      long reverseSpans,
      long ordersWithoutReverseSpan,
      long ordersWithTwoOrMore,
      long reverseSpansNotLinkedToTheBatchSpan,
      long reverseSpansOfNoTracedOrder) {

    static ReverseAudit expected(List<SentOrder> orders) {
      long traced = orders.stream().filter(SentOrder::traced).count();
      return new ReverseAudit(traced, traced, 0, 0, 0, 0);
    }

    static ReverseAudit of(
        List<SentOrder> orders,
        List<ConsumerRecord<String, OrderBatch>> batches,
        List<Span> spans) {
      Set<String> traced =
          orders.stream()
              .filter(SentOrder::traced)
              .map(SentOrder::context)
              .collect(Collectors.toSet());
      Set<String> batchSpans = batches.stream().map(ScaleIT::namedSpan).collect(Collectors.toSet());
      Map<String, Integer> perOrder = new HashMap<>();
      long reverseSpans = 0;
      long notLinked = 0;
      for (Span span : spans) {
        if (!span.getName().equals("batched")) {
          continue;
        }
        reverseSpans++;
        perOrder.merge(
            ItSupport.ids(span.getTraceId().toByteArray(), span.getParentSpanId().toByteArray()),
            1,
            Integer::sum);
        boolean linkedToBatch =
            span.getLinksCount() == 1
                && batchSpans.contains(
                    ItSupport.ids(
                        span.getLinks(0).getTraceId().toByteArray(),
                        span.getLinks(0).getSpanId().toByteArray()));
        notLinked += linkedToBatch ? 0 : 1;
      }
      return new ReverseAudit(
          traced.size(),
          reverseSpans,
          traced.stream().filter(context -> !perOrder.containsKey(context)).count(),
          perOrder.values().stream().filter(times -> times > 1).count(),
          notLinked,
          perOrder.keySet().stream().filter(context -> !traced.contains(context)).count());
    }
  }
}
