package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new user's first hour, as the README has them type it: the jars against a broker with no
 * OpenTelemetry collector anywhere, and only what the log says to go by. Every summary must be true
 * and the log short enough to read.
 */
@ExtendWith(KafkaClusterExtension.class)
class FirstHourIT {
  private static final Pattern SUMMARY =
      Pattern.compile("produced ([\\d,]+) orders to \\S+: ([\\d,]+) invalid, ([\\d,]+) without");

  @Test
  void shouldPropagateTraceContextWithSpanExportOffAndSayWhatItSent(KafkaCluster kafka)
      throws Exception {
    String topic = "orders-first-hour-" + UUID.randomUUID().toString().substring(0, 6);
    ChildJvm producer =
        ChildJvm.start(
            ItSupport.DEMO_JAR,
            List.of(
                "produce",
                "--bootstrap-servers",
                kafka.bootstrapServers(),
                "--topic",
                topic,
                "--count",
                "300",
                "--rate",
                "1000",
                "--untraced-ratio",
                "0.1",
                "--seed",
                "11"),
            Map.of("OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none"),
            ItSupport.logs().resolve(topic + "-produce.log"));
    assertThat(producer.awaitExit(60)).as(producer.output()).isZero();
    Matcher summary = SUMMARY.matcher(producer.output());
    assertThat(summary.find()).as(producer.output()).isTrue();

    List<ConsumerRecord<byte[], byte[]>> records =
        TopicReader.read(
            kafka.bootstrapServers(),
            topic,
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer(),
            300,
            Duration.ofSeconds(30));
    long withoutContext =
        records.stream().filter(r -> r.headers().lastHeader("traceparent") == null).count();
    assertThat(records).hasSize(300);
    assertThat(withoutContext)
        .as("span export off, context still propagated: only the untraced share lacks it")
        .isBetween(10L, 60L);
    assertThat(Long.parseLong(summary.group(3).replace(",", "")))
        .as("the summary counts what was written")
        .isEqualTo(withoutContext);

    // The README's command as written: no OTEL_* at all, and no collector on the default endpoint.
    ChildJvm asWritten =
        ChildJvm.start(
            ItSupport.DEMO_JAR,
            List.of(
                "produce",
                "--bootstrap-servers",
                kafka.bootstrapServers(),
                "--topic",
                topic,
                "--count",
                "100",
                "--rate",
                "1000"),
            Map.of(),
            ItSupport.logs().resolve(topic + "-produce-as-written.log"));
    assertThat(asWritten.awaitExit(90)).as(asWritten.output()).isZero();
    assertThat(asWritten.output())
        .contains("produced 100 orders to " + topic + ": 0 invalid, 0 without trace context")
        .doesNotContain("Exporter failed")
        .doesNotContain("Failed to export");
    assertThat(count(asWritten.output(), "Cannot send telemetry to the OTLP endpoint"))
        .isLessThanOrEqualTo(1);
  }

  @Test
  void shouldLogAShortTruthfulStoryWithoutACollector(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    String id = "first-hour-" + UUID.randomUUID().toString().substring(0, 6);
    // As a user's own config: no state.dir, so the safe default applies in the working directory.
    Path config =
        Files.writeString(
            dir.resolve("spanlinks.properties"),
            String.join(
                "\n",
                "bootstrap.servers=" + kafka.bootstrapServers(),
                "application.id=" + id,
                "spanlinks.orders.topic=orders-" + id,
                "spanlinks.batches.topic=batches-" + id,
                "spanlinks.late.topic=late-" + id,
                "errors.dead.letter.queue.topic.name=dlq-" + id,
                "spanlinks.idle.close.ms=2000",
                "spanlinks.close.check.interval.ms=200",
                ""));
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
    try (ChildJvm streams =
        ChildJvm.startIn(
            dir,
            ItSupport.STREAMS_JAR,
            List.of("run", "--config", config.toString()),
            Map.of(),
            ItSupport.logs().resolve(id + "-streams.log"))) {
      await("streams app running")
          .atMost(Duration.ofSeconds(60))
          .until(() -> streams.output().contains("spanlinks running"));
      try (KafkaProducer<String, String> producer =
          ItSupport.stringProducer(kafka.bootstrapServers())) {
        for (int n = 0; n < 40; n++) {
          producer.send(
              new ProducerRecord<>(
                  "orders-" + id,
                  "eu",
                  n % 2 == 0
                      ? "{\"orderId\":\"o-"
                          + n
                          + "\",\"amount\":1,\"currency\":\"EUR\",\"createdAt\":\""
                          + hour.plusSeconds(n)
                          + "\"}"
                      : "not an order " + n));
        }
      }
      TopicReader.awaitBatchedOrders(
          kafka.bootstrapServers(), "batches-" + id, 20, Duration.ofSeconds(60));
      // Long enough for the periodic exporters to fail a few times each.
      await("the collector is reported missing")
          .atMost(Duration.ofSeconds(30))
          .until(() -> streams.output().contains("Cannot send telemetry to the OTLP endpoint"));
      // The periodic exporters fail again every few seconds: the line must stay the only one.
      await("no second report of the missing collector")
          .during(Duration.ofSeconds(6))
          .atMost(Duration.ofSeconds(10))
          .until(() -> count(streams.output(), "Cannot send telemetry to the OTLP endpoint") == 1);
      assertThat(streams.terminate(60)).isIn(0, 143);

      String output = streams.output();
      assertThat(count(output, "Cannot send telemetry to the OTLP endpoint http://localhost:4318"))
          .as("one line about the missing endpoint\n" + output)
          .isEqualTo(1);
      assertThat(output).doesNotContain("Exporter failed").doesNotContain("Failed to export");
      assertThat(output).doesNotContain("GlobalThread");
      assertThat(output)
          .contains("state.dir not set: keeping state in " + dir.resolve("spanlinks-state"));
      assertThat(Files.isDirectory(dir.resolve("spanlinks-state"))).isTrue();
      assertThat(count(output, "Dead-lettering invalid order"))
          .as("20 invalid orders in a burst: one line, and a count later if any")
          .isLessThanOrEqualTo(2);
      assertThat(output)
          .as("the shutdown line says what happened")
          .containsPattern("spanlinks stopped( cleanly)?: Kafka Streams closed");
      assertThat(output).doesNotContain("did not close within");
    }
  }

  @Test
  void shouldSayWhenKafkaStreamsDidNotCloseInTime(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    String id = "close-timeout-" + UUID.randomUUID().toString().substring(0, 6);
    Path config =
        ItSupport.streamsConfig(
            dir, kafka.bootstrapServers(), id, Map.of("spanlinks.close.timeout.ms", "1"));
    try (ChildJvm streams =
        ChildJvm.start(
            ItSupport.STREAMS_JAR,
            List.of("run", "--config", config.toString()),
            Map.of("OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none"),
            ItSupport.logs().resolve(id + "-streams.log"))) {
      await("streams app running")
          .atMost(Duration.ofSeconds(60))
          .until(() -> streams.output().contains("spanlinks running"));
      assertThat(streams.terminate(60)).isIn(0, 143);
      assertThat(streams.output())
          .contains("spanlinks stopped WITHOUT a clean close")
          .contains("did not close within 1 ms (spanlinks.close.timeout.ms)")
          .doesNotContain("stopped cleanly");
    }
  }

  private static int count(String text, String needle) {
    int count = 0;
    for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
      count++;
    }
    return count;
  }
}
