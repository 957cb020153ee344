package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A close that is cut off after its spans went out and before its transaction committed, then
 * re-run by the next owner of the task, with one more order of the closed hour arriving in between
 * (a delayed producer, an outbox retry). Spans are not transactional: the first close's batch span
 * is in the backend already, under ids derived from the batch. The re-run must send that span again
 * exactly as it was (the backend keeps either copy), and the order that came after the close goes
 * late: the close decided the batch before anything was exported.
 *
 * <p>The app is the shipped jar under exactly_once_v2 on a real broker; the kill is SIGKILL while
 * the collector holds its answer to the batch span's export, so the commit is still waiting.
 */
@ExtendWith(KafkaClusterExtension.class)
class ReEmissionIT {
  private static final Duration IDLE_CLOSE = Duration.ofSeconds(3);
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Pattern ORDER_ID = Pattern.compile("\"orderId\"\\s*:\\s*\"([^\"]+)\"");

  @Test
  void shouldReEmitACutOffCloseIdenticallyAndRouteAnOrderThatCameAfterItLate(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    // An hour that ended before the test: its close is an idle (wall-clock) close.
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
    try (ClusterRun run = ClusterRun.create(kafka.bootstrapServers(), "reemit", dir, 1)) {
      Map<String, String> settings =
          Map.of(
              "spanlinks.idle.close.ms",
              Long.toString(IDLE_CLOSE.toMillis()),
              // The killed instance's open transaction is aborted when the restarted one (same
              // state directory, same transactional id) initialises; this bounds it otherwise.
              "transaction.timeout.ms",
              "10000");
      ChildJvm first = run.startInstance("a", settings);
      OtlpReceiver.Hold hold = run.holdNextBatchSpan();
      try (KafkaProducer<String, String> producer =
          ItSupport.stringProducer(run.bootstrapServers())) {
        for (int n = 1; n <= 5; n++) {
          producer.send(order(run.ordersTopic(), n, hour.plus(Duration.ofMinutes(5L * n))));
        }
        producer.flush();
      }
      Span firstEmission = hold.await(TIMEOUT).span();
      assertThat(first.kill()).as("SIGKILL exit code").isEqualTo(137);
      hold.release();
      assertThat(firstEmission.getLinksCount()).as("links of the first emission").isEqualTo(5);

      try (KafkaProducer<String, String> producer =
          ItSupport.stringProducer(run.bootstrapServers())) {
        producer.send(order(run.ordersTopic(), 6, hour.plus(Duration.ofMinutes(40)))).get();
      }
      ChildJvm second = run.startInstance("a", settings);

      List<ConsumerRecord<String, OrderBatch>> batches =
          await("the hour's batch, committed")
              .atMost(TIMEOUT)
              .pollInterval(Duration.ofMillis(500))
              .failFast("the app stopped", () -> !second.isAlive())
              .until(
                  () ->
                      TopicReader.batches(
                          run.bootstrapServers(), run.batchesTopic(), 1, Duration.ofSeconds(2)),
                  b -> !b.isEmpty());
      String firstId = ids(firstEmission);
      List<Span> copies =
          await("the batch span received again")
              .atMost(TIMEOUT)
              .until(() -> batchSpansWithId(run, firstId), c -> c.size() >= 2);
      List<ConsumerRecord<byte[], byte[]>> late =
          TopicReader.read(
              run.bootstrapServers(),
              run.lateTopic(),
              new ByteArrayDeserializer(),
              new ByteArrayDeserializer(),
              1,
              Duration.ofSeconds(10));

      assertThat(copies)
          .as("every copy of batch span %s", firstId)
          .allSatisfy(
              copy -> {
                assertThat(linkedContexts(copy)).isEqualTo(linkedContexts(firstEmission));
                assertThat(copy.getLinksList()).isEqualTo(firstEmission.getLinksList());
                assertThat(copy.getAttributesList()).isEqualTo(firstEmission.getAttributesList());
              });
      assertThat(batches).as("one committed batch for the hour").hasSize(1);
      OrderBatch batch = batches.get(0).value();
      assertThat(batch.traceId() + "/" + batch.spanId())
          .as("the committed batch names the span sent twice")
          .isEqualTo(firstId);
      assertThat(batch.orderCount()).as("orders in the committed batch").isEqualTo(5);
      assertThat(orderIds(late)).as("the order that came after the close").containsExactly("o-6");
    }
  }

  private static List<Span> batchSpansWithId(ClusterRun run, String id) {
    List<Span> copies = new ArrayList<>();
    for (OtlpReceiver.ReceivedSpan received : run.spans()) {
      if (received.span().getName().equals(ClusterRun.BATCH_SPAN)
          && ids(received.span()).equals(id)) {
        copies.add(received.span());
      }
    }
    return copies;
  }

  private static List<String> linkedContexts(Span span) {
    return span.getLinksList().stream()
        .map(link -> ItSupport.ids(link.getTraceId().toByteArray(), link.getSpanId().toByteArray()))
        .toList();
  }

  private static String ids(Span span) {
    return ItSupport.ids(span.getTraceId().toByteArray(), span.getSpanId().toByteArray());
  }

  private static List<String> orderIds(List<ConsumerRecord<byte[], byte[]>> records) {
    List<String> ids = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      Matcher id = ORDER_ID.matcher(new String(record.value(), StandardCharsets.UTF_8));
      ids.add(id.find() ? id.group(1) : "(no id)");
    }
    return ids;
  }

  /** Order {@code n} of batch key {@code eu}, traced, with a hand-written {@code traceparent}. */
  private static ProducerRecord<String, String> order(String topic, int n, Instant createdAt) {
    RecordHeaders headers = new RecordHeaders();
    String traceparent =
        String.format(Locale.ROOT, "00-%032x-%016x-01", 0xabc000L + n, 0xdef000L + n);
    headers.add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
    String json =
        "{\"orderId\":\"o-"
            + n
            + "\",\"amount\":1.00,\"currency\":\"EUR\",\"createdAt\":\""
            + createdAt
            + "\"}";
    return new ProducerRecord<>(topic, null, createdAt.toEpochMilli(), "eu", json, headers);
  }
}
