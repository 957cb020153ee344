package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.app.orders.OrderSerdes;
import dev.spanlinks.app.replay.RecordFile;
import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Old data, run again: traced orders go through the live application once; {@code export} copies
 * the orders topic to a file, {@code import} writes it to a fresh topic that a second application
 * (new {@code application.id}, the first one's batch id namespace) batches live, and {@code replay}
 * runs the file offline. All three must give the very same batches: ids, counts, totals and the set
 * of links of every batch.
 */
@ExtendWith(KafkaClusterExtension.class)
class ReplayRoundTripIT {
  private static final int ORDERS = 400;

  @Test
  void shouldReEmitTheSameBatchesFromAnImportAndFromAnOfflineReplay(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 6);
    String original = "replay-a-" + suffix;
    String rerun = "replay-b-" + suffix;
    Path logs = ItSupport.logs();
    Path originalConfig =
        ItSupport.streamsConfig(
            Files.createDirectories(dir.resolve("a")),
            kafka.bootstrapServers(),
            original,
            Map.of("spanlinks.links.per.span", "100"));
    Path rerunConfig =
        ItSupport.streamsConfig(
            Files.createDirectories(dir.resolve("b")),
            kafka.bootstrapServers(),
            rerun,
            Map.of("spanlinks.links.per.span", "100", "spanlinks.batch.ids.namespace", original));

    // 1. The original live run.
    LiveRun first;
    try (OtlpReceiver receiver = new OtlpReceiver();
        ChildJvm streams =
            startStreams(originalConfig, receiver, logs.resolve(original + ".log"))) {
      Instant start = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(4));
      int valid =
          ORDERS
              - ItSupport.produceDemoOrders(
                  kafka.bootstrapServers(),
                  "orders-" + original,
                  ORDERS,
                  start,
                  11,
                  ItSupport.spansTo(receiver),
                  logs.resolve(original + "-producer.log"));
      first = LiveRun.finish(kafka, "batches-" + original, valid, streams, receiver);
    }
    assertThat(first.batches()).hasSizeGreaterThan(3);
    assertThat(first.links().values().stream().mapToInt(Set::size).sum()).isGreaterThan(300);

    // 2. export the orders topic, 3. import it into a fresh topic.
    Path export = dir.resolve("orders.jsonl");
    String exported =
        runCli(
            List.of(
                "export",
                "--bootstrap-servers",
                kafka.bootstrapServers(),
                "--topic",
                "orders-" + original,
                "--out",
                export.toString()),
            logs.resolve(original + "-export.log"));
    assertThat(exported).contains("exported " + ORDERS + " records from orders-" + original);
    List<Integer> exportedPartitions = new java.util.ArrayList<>();
    RecordFile.forEach(export, record -> exportedPartitions.add(record.partition()));
    assertThat(exportedPartitions).hasSize(ORDERS);
    long partitionsUsed = exportedPartitions.stream().distinct().count();

    String imported =
        runCli(
            List.of(
                "import",
                "--bootstrap-servers",
                kafka.bootstrapServers(),
                "--topic",
                "orders-" + rerun,
                "--file",
                export.toString()),
            logs.resolve(rerun + "-import.log"));
    assertThat(imported)
        .contains("imported " + ORDERS + " records to orders-" + rerun + " (partitions kept");

    // 4. The same application under a new application id, on the imported topic.
    long originalOrders = first.batches().stream().mapToLong(OrderBatch::orderCount).sum();
    LiveRun second;
    try (OtlpReceiver receiver = new OtlpReceiver();
        ChildJvm streams = startStreams(rerunConfig, receiver, logs.resolve(rerun + ".log"))) {
      second = LiveRun.finish(kafka, "batches-" + rerun, originalOrders, streams, receiver);
    }
    assertThat(second.batches()).containsExactlyInAnyOrderElementsOf(first.batches());
    assertThat(second.links()).isEqualTo(first.links());

    // 5. Offline, with the original settings.
    Path spans = dir.resolve("replay-spans.jsonl");
    Path batches = dir.resolve("replay-batches.jsonl");
    String replayed =
        runCli(
            List.of(
                "replay",
                "--file",
                export.toString(),
                "--config",
                originalConfig.toString(),
                "--spans",
                spans.toString(),
                "--batches",
                batches.toString()),
            logs.resolve(original + "-replay.log"));
    assertThat(replayed)
        .contains("replayed " + ORDERS + " records (" + partitionsUsed + " partitions)");
    List<OrderBatch> offline = new java.util.ArrayList<>();
    RecordFile.forEach(
        batches,
        record ->
            offline.add(OrderSerdes.orderBatchDeserializer().deserialize(null, record.value())));
    assertThat(offline).containsExactlyInAnyOrderElementsOf(first.batches());
    assertThat(linksFromFile(spans)).isEqualTo(first.links());
    for (OrderBatch batch : first.batches()) {
      assertThat(replayed).contains("trace=" + batch.traceId() + " span=" + batch.spanId());
    }
  }

  /** What a live run emitted: its batch records, and per batch trace the linked span contexts. */
  private record LiveRun(List<OrderBatch> batches, Map<String, Set<String>> links) {
    static LiveRun finish(
        KafkaCluster kafka,
        String batchesTopic,
        long expectedOrders,
        ChildJvm streams,
        OtlpReceiver receiver)
        throws Exception {
      List<OrderBatch> batches = awaitBatches(kafka, batchesTopic, expectedOrders);
      // SIGTERM: Kafka Streams closes, then the SDK flushes every span.
      assertThat(streams.terminate(60)).isIn(0, 143);
      assertThat(streams.output()).contains("spanlinks stopped cleanly");
      Map<String, Set<String>> links = new HashMap<>();
      for (OtlpReceiver.ReceivedSpan received : receiver.spans()) {
        Span span = received.span();
        if (span.getName().equals("process orders")
            || span.getName().equals("process orders chunk")) {
          Set<String> batchLinks =
              links.computeIfAbsent(
                  HexFormat.of().formatHex(span.getTraceId().toByteArray()), id -> new HashSet<>());
          span.getLinksList()
              .forEach(
                  link ->
                      batchLinks.add(
                          ItSupport.ids(
                              link.getTraceId().toByteArray(), link.getSpanId().toByteArray())));
        }
      }
      return new LiveRun(batches, links);
    }
  }

  private static List<OrderBatch> awaitBatches(
      KafkaCluster kafka, String topic, long expectedOrders) {
    List<ConsumerRecord<String, OrderBatch>> records = List.of();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      records = TopicReader.batches(kafka.bootstrapServers(), topic, 4, Duration.ofSeconds(5));
      if (records.stream().mapToLong(b -> b.value().orderCount()).sum() >= expectedOrders) {
        return records.stream().map(ConsumerRecord::value).toList();
      }
    }
    throw new AssertionError(
        "Batches of " + topic + " never held " + expectedOrders + " orders: " + records.size());
  }

  /** Batch trace id to linked {@code traceId/spanId}, from an OTLP JSON lines file. */
  private static Map<String, Set<String>> linksFromFile(Path file) throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    Map<String, Set<String>> links = new HashMap<>();
    for (String line : Files.readAllLines(file)) {
      if (line.isBlank()) {
        continue;
      }
      for (JsonNode resource : mapper.readTree(line).path("resourceSpans")) {
        for (JsonNode scope : resource.path("scopeSpans")) {
          for (JsonNode span : scope.path("spans")) {
            String name = span.path("name").asText();
            if (name.equals("process orders") || name.equals("process orders chunk")) {
              Set<String> batchLinks =
                  links.computeIfAbsent(span.path("traceId").asText(), id -> new HashSet<>());
              for (JsonNode link : span.path("links")) {
                batchLinks.add(link.path("traceId").asText() + "/" + link.path("spanId").asText());
              }
            }
          }
        }
      }
    }
    return links;
  }

  private static ChildJvm startStreams(Path config, OtlpReceiver receiver, Path log)
      throws Exception {
    ChildJvm streams =
        ChildJvm.start(
            ItSupport.STREAMS_JAR,
            List.of("run", "--config", config.toString(), "--partitions", "3"),
            ItSupport.spansTo(receiver),
            log);
    await("streams app running")
        .atMost(Duration.ofSeconds(60))
        .until(() -> streams.output().contains("spanlinks running"));
    return streams;
  }

  /** Runs a streams-app.jar command to its end; returns its output after checking exit 0. */
  private static String runCli(List<String> args, Path log) throws Exception {
    ChildJvm cli =
        ChildJvm.start(
            ItSupport.STREAMS_JAR,
            args,
            Map.of("OTEL_METRICS_EXPORTER", "none", "OTEL_LOGS_EXPORTER", "none"),
            log);
    assertThat(cli.awaitExit(120)).as(cli.output()).isZero();
    return cli.output();
  }
}
