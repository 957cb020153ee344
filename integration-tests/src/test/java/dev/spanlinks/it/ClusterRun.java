package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.demo.OrderProducer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One application (one {@code application.id}) on a real broker for the cluster tests: instances of
 * {@code streams-app.jar} as child JVMs, each with its own state directory and {@code
 * service.instance.id}; traced orders over twelve batch keys; an OTLP receiver for their spans; and
 * the audit that every traced order is linked exactly once.
 */
final class ClusterRun implements AutoCloseable {
  static final String BATCH_SPAN = "process orders";
  static final String CHUNK_SPAN = "process orders chunk";
  private static final List<String> BATCH_KEYS =
      IntStream.range(0, 12).mapToObj(i -> "store-" + i).toList();

  private final String bootstrapServers;
  private final String id;
  private final Path dir;
  private final int partitions;
  private final OtlpReceiver receiver = new OtlpReceiver();
  private final OpenTelemetrySdk producerTelemetry =
      OpenTelemetrySdk.builder()
          // Spans are only wanted for their contexts, but with no processor at all the SDK
          // starts none: a processor that exports nowhere.
          .setTracerProvider(
              SdkTracerProvider.builder()
                  .addSpanProcessor(SimpleSpanProcessor.create(SpanExporter.composite()))
                  .build())
          .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
          .build();
  private final List<ChildJvm> instances = new ArrayList<>();
  private final Map<String, Integer> starts = new HashMap<>();
  private Admin admin;

  private ClusterRun(String bootstrapServers, String id, Path dir, int partitions)
      throws IOException {
    this.bootstrapServers = bootstrapServers;
    this.id = id;
    this.dir = dir;
    this.partitions = partitions;
  }

  /** Creates the orders topic with {@code partitions} partitions, as an operator would. */
  static ClusterRun create(String bootstrapServers, String name, Path dir, int partitions)
      throws Exception {
    String id = name + "-" + Long.toString(System.nanoTime() & 0xffffff, 36);
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      admin
          .createTopics(
              List.of(new NewTopic("orders-" + id, Optional.of(partitions), Optional.empty())))
          .all()
          .get();
    }
    return new ClusterRun(bootstrapServers, id, dir, partitions);
  }

  String bootstrapServers() {
    return bootstrapServers;
  }

  /** The instances' {@code application.id}: also their consumer group. */
  String applicationId() {
    return id;
  }

  String ordersTopic() {
    return "orders-" + id;
  }

  String batchesTopic() {
    return "batches-" + id;
  }

  String lateTopic() {
    return "late-" + id;
  }

  String deadLetterTopic() {
    return "dlq-" + id;
  }

  List<OtlpReceiver.ReceivedSpan> spans() {
    return receiver.spans();
  }

  /**
   * Holds the answer to the next export that carries a batch span ({@link OtlpReceiver#holdNext}):
   * the instance that closed the window waits to commit it.
   */
  OtlpReceiver.Hold holdNextBatchSpan() {
    return receiver.holdNext(BATCH_SPAN);
  }

  /** Batch spans received so far from instance {@code name}: windows it closed. */
  long batchSpansFrom(String name) {
    return receiver.spans().stream()
        .filter(s -> s.span().getName().equals(BATCH_SPAN) && name.equals(s.serviceInstanceId()))
        .count();
  }

  /** Records on the orders topic so far (the sum of its partitions' end offsets). */
  long ordersOnTopic() throws Exception {
    if (admin == null) {
      admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      latest.put(new TopicPartition(ordersTopic(), p), OffsetSpec.latest());
    }
    return admin.listOffsets(latest).all().get().values().stream()
        .mapToLong(ListOffsetsResultInfo::offset)
        .sum();
  }

  /**
   * Starts one instance; starting the same name again reuses its state directory, as a restarted
   * pod would with its volume. Returns once Kafka Streams reports it is running: it has joined the
   * group and holds its tasks.
   */
  ChildJvm startInstance(String name) throws IOException {
    return startInstance(name, Map.of());
  }

  /** As {@link #startInstance(String)}, with {@code settings} added to (or over) the run's own. */
  ChildJvm startInstance(String name, Map<String, String> settings) throws IOException {
    return startInstance(name, settings, Map.of());
  }

  /**
   * As {@link #startInstance(String, Map)}, with {@code environment} added to (or over) the
   * instance's own variables (OTLP to the run's receiver, no metrics exporter).
   */
  ChildJvm startInstance(String name, Map<String, String> settings, Map<String, String> environment)
      throws IOException {
    Path instanceDir = Files.createDirectories(dir.resolve(name));
    Map<String, String> extra =
        new HashMap<>(
            Map.of(
                // A killed member leaves the group after its session times out: keep that short.
                "session.timeout.ms",
                "6000",
                "heartbeat.interval.ms",
                "1500",
                // A partition stalled by a kill, a rebalance or a busy 2-core machine must not
                // pass for a quiet topic whose last hour should close on the wall clock.
                "spanlinks.idle.close.ms",
                "8000",
                // Order ids on links: the hostile-input test finds its cases by them.
                "spanlinks.link.attributes",
                "all"));
    extra.putAll(settings);
    Path config = ItSupport.streamsConfig(instanceDir, bootstrapServers, id, extra);
    int start = starts.merge(name, 1, Integer::sum);
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                receiver.httpEndpoint(),
                "OTEL_EXPORTER_OTLP_PROTOCOL",
                "http/protobuf",
                "OTEL_BSP_SCHEDULE_DELAY",
                "100",
                "OTEL_METRICS_EXPORTER",
                "none",
                "OTEL_LOGS_EXPORTER",
                "none",
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.instance.id=" + name));
    env.putAll(environment);
    ChildJvm instance =
        ChildJvm.start(
            // Kafka Streams logs its state changes at INFO; "spanlinks running" comes at start(),
            // before the instance has joined the group.
            List.of("-Dorg.slf4j.simpleLogger.log.org.apache.kafka.streams.KafkaStreams=info"),
            ItSupport.STREAMS_JAR,
            List.of("run", "--config", config.toString(), "--partitions", "" + partitions),
            env,
            ItSupport.logs().resolve(id + "-" + name + "-" + start + ".log"));
    instances.add(instance);
    await(name + " running")
        .atMost(Duration.ofSeconds(60))
        .failFast(name + " exited", () -> !instance.isAlive())
        .until(() -> instance.output().contains("State transition from REBALANCING to RUNNING"));
    return instance;
  }

  /**
   * Produces {@code count} traced orders (2% invalid, 5% without trace context) at {@code rate} per
   * second, over the batch keys, their event times spread over the five hours that ended an hour
   * ago: windows close while orders flow, and the last ones by idle close.
   */
  CompletableFuture<OrderProducer.Result> produceInBackground(int count, int rate) {
    return produceInBackground(count, rate, 5);
  }

  /**
   * As {@link #produceInBackground(int, int)}, with event times over the {@code hours} hours that
   * ended an hour ago: more hours, more window closes while orders flow.
   */
  CompletableFuture<OrderProducer.Result> produceInBackground(int count, int rate, int hours) {
    Instant start = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(hours + 1L));
    double speed = Duration.ofHours(hours).toSeconds() * (double) rate / count;
    OrderProducer.Settings settings =
        new OrderProducer.Settings(
            ordersTopic(), count, rate, BATCH_KEYS, start, speed, 0.02, 0.05, 11);
    return CompletableFuture.supplyAsync(
        () -> {
          try (OrderProducer producer =
              new OrderProducer(
                  Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
                  producerTelemetry)) {
            return producer.produce(settings, new PrintWriter(Writer.nullWriter()));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
          }
        });
  }

  /**
   * Waits until the committed batches hold every valid order, then checks: each (batch key, window)
   * is on the output topic once; every traced order is linked by exactly one distinct span; a span
   * received twice (re-emitted after a crash) has the same links; distinct batch span ids are
   * exactly the committed batches' ids. Returns what it saw.
   */
  Audit auditEveryOrderLinkedOnce(OrderProducer.Result produced) {
    List<ConsumerRecord<String, OrderBatch>> batches =
        TopicReader.awaitBatchedOrders(
            bootstrapServers, batchesTopic(), produced.valid(), Duration.ofSeconds(120));
    assertThat(batches.stream().map(b -> b.key() + "@" + b.value().windowStart()))
        .as("every batch exactly once on the output topic")
        .doesNotHaveDuplicates();
    assertThat(batches.stream().mapToLong(b -> b.value().orderCount()).sum())
        .isEqualTo(produced.valid());
    assertThat(batches.stream().mapToLong(b -> b.value().linkedCount()).sum())
        .isEqualTo(produced.tracedOrders().size());

    Map<String, Set<String>> linksBySpan = new HashMap<>();
    Set<String> batchSpanIds = new HashSet<>();
    Set<String> emitters = new HashSet<>();
    int receivedTwice = 0;
    for (OtlpReceiver.ReceivedSpan received : receiver.spans()) {
      Span span = received.span();
      if (!span.getName().equals(BATCH_SPAN) && !span.getName().equals(CHUNK_SPAN)) {
        continue;
      }
      String spanId =
          ItSupport.ids(span.getTraceId().toByteArray(), span.getSpanId().toByteArray());
      Set<String> links =
          span.getLinksList().stream()
              .map(l -> ItSupport.ids(l.getTraceId().toByteArray(), l.getSpanId().toByteArray()))
              .collect(Collectors.toSet());
      Set<String> earlier = linksBySpan.putIfAbsent(spanId, links);
      if (earlier != null) {
        receivedTwice++;
        assertThat(links).as("links of span %s, emitted twice", spanId).isEqualTo(earlier);
      }
      if (span.getName().equals(BATCH_SPAN)) {
        batchSpanIds.add(spanId);
        emitters.add(received.serviceInstanceId());
      }
    }
    assertThat(batchSpanIds)
        .as("distinct batch span ids = committed batches")
        .isEqualTo(
            batches.stream()
                .map(b -> b.value().traceId() + "/" + b.value().spanId())
                .collect(Collectors.toSet()));

    Map<String, List<String>> linkingSpans = new HashMap<>();
    linksBySpan.forEach(
        (span, links) ->
            links.forEach(
                link -> linkingSpans.computeIfAbsent(link, k -> new ArrayList<>()).add(span)));
    Set<String> traced =
        produced.tracedOrders().stream()
            .map(c -> c.getTraceId() + "/" + c.getSpanId())
            .collect(Collectors.toSet());
    assertThat(linkingSpans.keySet()).as("linked orders = traced orders").isEqualTo(traced);
    linkingSpans.forEach(
        (order, spans) -> assertThat(spans).as("spans linking order %s", order).hasSize(1));
    return new Audit(batches.size(), traced.size(), receivedTwice, emitters);
  }

  /**
   * Checks that the dead-letter topic holds exactly the invalid orders produced, each once
   * (read_committed), each naming its place on the orders topic; returns the dead letters.
   */
  List<ConsumerRecord<String, String>> auditDeadLetters(OrderProducer.Result produced) {
    List<ConsumerRecord<String, String>> deadLetters =
        TopicReader.read(
            bootstrapServers,
            deadLetterTopic(),
            new StringDeserializer(),
            new StringDeserializer(),
            produced.invalid(),
            Duration.ofSeconds(60));
    assertThat(deadLetters.stream().map(ConsumerRecord::value))
        .as("dead letters = invalid orders, each once")
        .containsExactlyInAnyOrderElementsOf(produced.invalidOrders());
    assertThat(deadLetters)
        .allSatisfy(
            letter ->
                assertThat(ItSupport.header(letter.headers(), "__streams.errors.topic"))
                    .isEqualTo(ordersTopic()));
    assertThat(
            deadLetters.stream()
                .map(
                    letter ->
                        ItSupport.header(letter.headers(), "__streams.errors.partition")
                            + "@"
                            + ItSupport.header(letter.headers(), "__streams.errors.offset")))
        .as("source positions of the dead letters")
        .doesNotHaveDuplicates();
    return deadLetters;
  }

  /**
   * What an audit saw.
   *
   * @param spansReceivedTwice batch and chunk spans that arrived more than once (same ids)
   * @param emitters {@code service.instance.id} of the instances that emitted batch spans
   */
  record Audit(int batches, int linkedOrders, int spansReceivedTwice, Set<String> emitters) {}

  @Override
  public void close() {
    instances.forEach(ChildJvm::close);
    if (admin != null) {
      admin.close();
    }
    receiver.close();
    producerTelemetry.close();
  }

  /**
   * For each linked order ({@code traceId/spanId}, as {@link ItSupport#ids} writes it), the ids of
   * the spans among {@code spans} (by id) that link it.
   */
  static Map<String, List<String>> spansLinkingEachOrder(Map<String, Span> spans) {
    Map<String, List<String>> spansByOrder = new HashMap<>();
    spans.forEach(
        (spanId, span) ->
            span.getLinksList()
                .forEach(
                    link ->
                        spansByOrder
                            .computeIfAbsent(
                                ItSupport.ids(
                                    link.getTraceId().toByteArray(),
                                    link.getSpanId().toByteArray()),
                                k -> new ArrayList<>())
                            .add(spanId)));
    return spansByOrder;
  }
}
