package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import io.opentelemetry.proto.trace.v1.Span;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator points spanlinks at a topic it did not write, without code: JSON of another shape
 * read through JSON pointers, and records whose values it never reads. Real broker, the shipped
 * jar, spans decoded from the OTLP it sent: every traced record linked exactly once, a redelivered
 * record counted once.
 */
@ExtendWith(KafkaClusterExtension.class)
class AnyTopicIT {
  private static final int RECORDS = 120;

  @Test
  void shouldBatchJsonOfAnotherShapeThroughJsonPointers(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    String id = "any-json-" + UUID.randomUUID().toString().substring(0, 6);
    Map<String, String> settings =
        Map.of(
            "spanlinks.input.format", "json",
            "spanlinks.json.id.pointer", "/event/id",
            "spanlinks.json.event.time.pointer", "/event/at",
            "spanlinks.json.batch.key.pointer", "/account/region",
            "spanlinks.json.sum.pointer", "/payment/total");
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
    Random random = new Random(7);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    Set<String> traced = new HashSet<>();
    BigDecimal total = BigDecimal.ZERO;
    for (int n = 0; n < RECORDS; n++) {
      BigDecimal amount = BigDecimal.valueOf(random.nextInt(10_000), 2);
      total = total.add(amount);
      String json =
          String.format(
              Locale.ROOT,
              "{\"event\":{\"id\":\"evt-%d\",\"at\":\"%s\"},\"account\":{\"region\":\"%s\"},"
                  + "\"payment\":{\"total\":%s,\"currency\":\"USD\"}}",
              n,
              hour.plusSeconds(20L * n).atOffset(ZoneOffset.ofHours(-5)),
              n % 3 == 0 ? "emea" : "amer",
              amount.toPlainString());
      // No record key: the batch key is in the value.
      ProducerRecord<byte[], byte[]> record =
          new ProducerRecord<>(
              "orders-" + id, n % 2, null, null, json.getBytes(StandardCharsets.UTF_8));
      if (n % 10 != 0) {
        traced.add(addTraceparent(record, n));
      }
      records.add(record);
      if (n % 17 == 0) {
        records.add(record); // redelivered: the same id, counted once
      }
    }

    List<ConsumerRecord<String, OrderBatch>> batches =
        runAndBatch(kafka, dir, id, settings, records, traced);

    assertThat(batches).extracting(batch -> batch.value().batchKey()).containsOnly("emea", "amer");
    assertThat(batches.stream().mapToLong(batch -> batch.value().orderCount()).sum())
        .as("a redelivered record counts once")
        .isEqualTo(RECORDS);
    assertThat(
            batches.stream()
                .map(batch -> batch.value().totals().get("/payment/total"))
                .reduce(BigDecimal.ZERO, BigDecimal::add))
        .isEqualByComparingTo(total);
  }

  @Test
  void shouldBatchRecordsWhoseValuesItNeverReads(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    String id = "any-raw-" + UUID.randomUUID().toString().substring(0, 6);
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
    Random random = new Random(11);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    Set<String> traced = new HashSet<>();
    for (int n = 0; n < RECORDS; n++) {
      byte[] value = new byte[random.nextInt(40)];
      random.nextBytes(value); // anything at all, never parsed
      ProducerRecord<byte[], byte[]> record =
          new ProducerRecord<>(
              "orders-" + id,
              n % 2,
              hour.plusSeconds(20L * n).toEpochMilli(),
              ("sensor-" + n % 4).getBytes(StandardCharsets.UTF_8),
              n % 9 == 0 ? null : value);
      if (n % 10 != 0) {
        traced.add(addTraceparent(record, n));
      }
      records.add(record);
    }

    List<ConsumerRecord<String, OrderBatch>> batches =
        runAndBatch(kafka, dir, id, Map.of("spanlinks.input.format", "unparsed"), records, traced);

    assertThat(batches)
        .extracting(batch -> batch.value().batchKey())
        .containsOnly("sensor-0", "sensor-1", "sensor-2", "sensor-3");
    assertThat(batches.stream().mapToLong(batch -> batch.value().orderCount()).sum())
        .isEqualTo(RECORDS);
    assertThat(batches).allSatisfy(batch -> assertThat(batch.value().totals()).isEmpty());
  }

  /**
   * Runs {@code streams-app.jar run} with the settings, sends the records, and returns the batches
   * once every record is in one; checks that the spans arrived and linked each traced record once.
   */
  private static List<ConsumerRecord<String, OrderBatch>> runAndBatch(
      KafkaCluster kafka,
      Path dir,
      String id,
      Map<String, String> settings,
      List<ProducerRecord<byte[], byte[]>> records,
      Set<String> traced)
      throws Exception {
    Path config = ItSupport.streamsConfig(dir, kafka.bootstrapServers(), id, settings);
    try (OtlpReceiver receiver = new OtlpReceiver()) {
      Map<String, String> otel = ItSupport.spansTo(receiver);
      try (ChildJvm streams =
          ChildJvm.start(
              ItSupport.STREAMS_JAR,
              List.of("run", "--config", config.toString(), "--partitions", "2"),
              otel,
              ItSupport.logs().resolve(id + "-streams.log"))) {
        await("streams app running")
            .atMost(Duration.ofSeconds(60))
            .until(() -> streams.output().contains("spanlinks running"));
        try (KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(
                Map.of("bootstrap.servers", kafka.bootstrapServers()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
          for (ProducerRecord<byte[], byte[]> record : records) {
            producer.send(record).get();
          }
        }

        List<ConsumerRecord<String, OrderBatch>> batches =
            TopicReader.awaitBatchedOrders(
                kafka.bootstrapServers(), "batches-" + id, RECORDS, Duration.ofSeconds(90));
        await("every batch span exported")
            .atMost(Duration.ofSeconds(30))
            .until(() -> receiver.spansNamed("process orders").size() >= batches.size());
        List<String> links =
            receiver.spansNamed("process orders").stream()
                .flatMap(span -> span.getLinksList().stream())
                .map(l -> ItSupport.ids(l.getTraceId().toByteArray(), l.getSpanId().toByteArray()))
                .toList();
        assertThat(links)
            .as("every traced record linked exactly once")
            .doesNotHaveDuplicates()
            .containsExactlyInAnyOrderElementsOf(traced);
        Set<String> batchSpans = new HashSet<>();
        for (Span span : receiver.spansNamed("process orders")) {
          batchSpans.add(
              ItSupport.ids(span.getTraceId().toByteArray(), span.getSpanId().toByteArray()));
        }
        for (ConsumerRecord<String, OrderBatch> batch : batches) {
          String traceparent = ItSupport.header(batch.headers(), "traceparent");
          assertThat(batchSpans)
              .as("the batch record's traceparent names a span that arrived")
              .contains(traceparent.substring(3, 35) + "/" + traceparent.substring(36, 52));
        }
        assertThat(streams.terminate(60)).isIn(0, 143);
        return batches;
      }
    }
  }

  /** Adds a traceparent for record {@code n}; returns its "trace id/span id". */
  private static String addTraceparent(ProducerRecord<byte[], byte[]> record, int n) {
    String traceparent = String.format(Locale.ROOT, "00-%032x-%016x-01", 0x9000 + n, 0xa000 + n);
    record.headers().add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
    return traceparent.substring(3, 35) + "/" + traceparent.substring(36, 52);
  }
}
