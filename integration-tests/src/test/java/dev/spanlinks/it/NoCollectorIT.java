package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run} with no collector (issue 27): the app's jar as a child JVM on a real broker, its OTLP
 * endpoint a closed port, then a collector that accepts connections and never answers, then export
 * off, each on the same 189 orders (3 keys, 3 hours). Each run must commit every batch and, where
 * export fails, count every span it could not deliver ({@code spanlinks.spans.dropped}, scraped
 * from the Prometheus endpoint) and say so once. The time each run took to commit its batches is
 * printed with its ratio to export off: figures for the closing note, not assertions.
 */
@ExtendWith(KafkaClusterExtension.class)
class NoCollectorIT {
  private static final int KEYS = 3;
  private static final int HOURS = 3;
  private static final int ORDERS_PER_BATCH = 21;

  @Test
  void shouldCommitEveryBatchAndCountEverySpanWhateverTheEndpointDoes(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    List<Socket> held = new CopyOnWriteArrayList<>();
    try (ServerSocket blackHole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    held.add(blackHole.accept()); // reads nothing, answers nothing
                  }
                } catch (IOException closed) {
                  // the test is over
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      Map<String, Double> seconds = new HashMap<>();
      seconds.put(
          "export off", run(kafka, dir, "off", Map.of("OTEL_TRACES_EXPORTER", "none"), false));
      seconds.put(
          "endpoint refuses",
          run(kafka, dir, "refused", otlpTo("http://127.0.0.1:" + ItSupport.freePort()), true));
      seconds.put(
          "endpoint never answers",
          run(kafka, dir, "silent", otlpTo("http://127.0.0.1:" + blackHole.getLocalPort()), true));
      assertThat(held).as("the silent collector was tried").isNotEmpty();
      double off = seconds.get("export off");
      seconds.forEach(
          (name, value) ->
              System.out.printf(
                  Locale.ROOT,
                  "NoCollectorIT: %-22s %5.1f s to commit %d batches (%.2fx export off)%n",
                  name,
                  value,
                  KEYS * HOURS,
                  value / off));
    } finally {
      for (Socket socket : held) {
        socket.close();
      }
    }
  }

  private static Map<String, String> otlpTo(String endpoint) {
    return Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT", endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
  }

  /**
   * One run on a topic of its own: produces the orders, starts the app, waits until every batch is
   * committed; returns the seconds from the app's start to then.
   */
  private static double run(
      KafkaCluster kafka, Path dir, String name, Map<String, String> otel, boolean exportFails)
      throws Exception {
    String id = "no-collector-" + name + "-" + UUID.randomUUID().toString().substring(0, 6);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic("orders-" + id, 1, (short) 1))).all().get();
    }
    produceOrders(kafka.bootstrapServers(), "orders-" + id);
    int metricsPort = ItSupport.freePort();
    Map<String, String> env = new HashMap<>(otel);
    env.put("OTEL_METRICS_EXPORTER", "prometheus");
    env.put("OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1");
    env.put("OTEL_EXPORTER_PROMETHEUS_PORT", Integer.toString(metricsPort));
    env.put("OTEL_LOGS_EXPORTER", "none");
    Path instanceDir = Files.createDirectories(dir.resolve(name));
    // Stream time closes every hour (see produceOrders). No idle close: the first export to a
    // collector that never answers holds the stream thread for the OTLP timeout, and an idle time
    // shorter than that would take the stall for a quiet topic and close an hour early.
    Path config =
        ItSupport.streamsConfig(
            instanceDir,
            kafka.bootstrapServers(),
            id,
            Map.of("spanlinks.idle.close.ms", "3600000"));
    long started = System.nanoTime();
    try (ChildJvm app =
        ChildJvm.start(
            ItSupport.STREAMS_JAR,
            List.of("run", "--config", config.toString()),
            env,
            ItSupport.logs().resolve(id + ".log"))) {
      await(name + ": the app's topics created")
          .atMost(Duration.ofSeconds(60))
          .failFast(name + " exited", () -> !app.isAlive())
          .until(() -> app.output().contains("spanlinks running"));
      List<ConsumerRecord<String, OrderBatch>> batches =
          TopicReader.awaitBatchedOrders(
              kafka.bootstrapServers(),
              "batches-" + id,
              (long) KEYS * HOURS * ORDERS_PER_BATCH,
              Duration.ofSeconds(120));
      double seconds = (System.nanoTime() - started) / 1e9;
      assertThat(batches).as(app.output()).hasSize(KEYS * HOURS);
      assertThat(batches)
          .allSatisfy(batch -> assertThat(batch.value().orderCount()).isEqualTo(ORDERS_PER_BATCH));
      String metrics = "http://127.0.0.1:" + metricsPort + "/metrics";
      if (exportFails) {
        // One batch span per batch: 21 links fit one span. Every one of them not delivered.
        await(name + ": every batch span counted as dropped on " + metrics)
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptionsInstanceOf(IOException.class)
            .until(() -> dropped(metrics) == KEYS * HOURS);
        assertThat(occurrences(app.output(), "is failing ("))
            .as("said once: %s", app.output())
            .isEqualTo(1);
      } else {
        assertThat(dropped(metrics)).isZero();
      }
      assertThat(app.isAlive()).as(app.output()).isTrue();
      assertThat(app.terminate(60)).isIn(0, 143);
      return seconds;
    }
  }

  /**
   * 21 traced orders for each of 3 keys in each of 3 past hours, then one order past the last
   * hour's end and grace: stream time closes all three hours, and the closer's own hour stays open.
   */
  private static void produceOrders(String bootstrapServers, String topic) throws Exception {
    Instant firstHour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(4));
    List<ProducerRecord<String, String>> records = new ArrayList<>();
    int n = 0;
    for (int hour = 0; hour < HOURS; hour++) {
      for (int i = 0; i < ORDERS_PER_BATCH; i++) {
        for (int key = 0; key < KEYS; key++) {
          n++;
          Instant createdAt = firstHour.plus(Duration.ofHours(hour)).plusSeconds(60L + 120L * i);
          records.add(order(topic, "key-" + key, "o-" + n, createdAt, n));
        }
      }
    }
    Instant closer = firstHour.plus(Duration.ofHours(HOURS)).plus(Duration.ofMinutes(6));
    records.add(order(topic, "key-0", "closer", closer, ++n));
    try (KafkaProducer<String, String> producer = ItSupport.stringProducer(bootstrapServers)) {
      for (ProducerRecord<String, String> record : records) {
        producer.send(record);
      }
      producer.flush();
    }
  }

  private static ProducerRecord<String, String> order(
      String topic, String key, String orderId, Instant createdAt, int n) {
    String value =
        "{\"orderId\":\""
            + orderId
            + "\",\"amount\":1.50,\"currency\":\"EUR\",\"createdAt\":\""
            + createdAt
            + "\"}";
    ProducerRecord<String, String> record =
        new ProducerRecord<>(topic, null, createdAt.toEpochMilli(), key, value);
    record
        .headers()
        .add(
            "traceparent",
            String.format(Locale.ROOT, "00-%032x-%016x-01", 0x5000 + n, 0x6000 + n)
                .getBytes(StandardCharsets.UTF_8));
    return record;
  }

  private static double dropped(String url) throws Exception {
    return PrometheusScrape.of(url).samples("spanlinks_spans_dropped_total").stream()
        .mapToDouble(PrometheusScrape.Sample::value)
        .sum();
  }

  private static int occurrences(String text, String part) {
    int count = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
      count++;
    }
    return count;
  }
}
