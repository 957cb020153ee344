package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * The last check before a record is sent: what the broker would refuse, or refused before, fails in
 * the send call and never reaches the producer.
 */
class CheckedWritesProducerTest {
  private static final long NOW = 1_800_000_000_000L;
  private static final long HOUR = 3_600_000L;

  @Test
  void shouldRefuseWhatTheBrokerWouldAndPassEverythingElse() {
    byte[] key = "key".getBytes(StandardCharsets.UTF_8);
    assertThat(refusal(new ProducerRecord<>("t", null, NOW, key, new byte[1_000]))).isNull();
    assertThat(refusal(new ProducerRecord<>("t", null, NOW, key, new byte[300_000])))
        .startsWith("not sent to t: the record takes up to ")
        .contains("262144-byte limit");
    RecordHeaders headers = new RecordHeaders();
    headers.add("large", new byte[262_000]);
    assertThat(refusal(new ProducerRecord<>("t", null, NOW, key, new byte[1], headers)))
        .as("headers count")
        .contains("262144-byte limit");
    assertThat(refusal(new ProducerRecord<>("t", null, NOW + HOUR, key, new byte[1]))).isNull();
    assertThat(refusal(new ProducerRecord<>("t", null, NOW + HOUR + 1, key, new byte[1])))
        .contains("ahead of the clock");
    assertThat(refusal(new ProducerRecord<>("t", null, NOW - 2 * HOUR, key, new byte[1]))).isNull();
    assertThat(refusal(new ProducerRecord<>("t", null, NOW - 2 * HOUR - 1, key, new byte[1])))
        .contains("behind the clock");
    assertThat(refusal(new ProducerRecord<>("t", null, null, key, new byte[1])))
        .as("no timestamp: the producer stamps it now")
        .isNull();
  }

  @Test
  void shouldRefuseTheSameRecordTheBrokerRefusedBeforeAndNoOther() {
    byte[] value = "{\"refused\":\"once\"}".getBytes(StandardCharsets.UTF_8);
    ProducerRecord<byte[], byte[]> refused =
        new ProducerRecord<>("late-refused-test", null, NOW, new byte[] {1}, value);
    RefusedWrites.remember(refused, "RecordTooLargeException: too big for the topic");
    assertThat(
            refusal(
                new ProducerRecord<>("late-refused-test", null, NOW - 5, new byte[] {1}, value)))
        .as("the same record written again, at another time")
        .isEqualTo(
            "not sent to late-refused-test: the broker refused it before:"
                + " RecordTooLargeException: too big for the topic");
    assertThat(refusal(new ProducerRecord<>("late-refused-test", null, NOW, new byte[] {2}, value)))
        .isNull();
    assertThat(refusal(new ProducerRecord<>("other-topic", null, NOW, new byte[] {1}, value)))
        .isNull();
  }

  @Test
  void shouldFailTheCallbackInTheSendCallWithoutTheProducerSeeingTheRecord() throws Exception {
    Map<String, Object> config = new HashMap<>();
    // Nothing listens here: a record that reached the producer would wait for metadata.
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
    config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "300000");
    config.put(BatchConfig.RECORD_MAX_BYTES_CONFIG, "1048576");
    try (CheckedWritesProducer producer = new CheckedWritesProducer(config)) {
      AtomicReference<Exception> failed = new AtomicReference<>();
      Future<RecordMetadata> sent =
          producer.send(
              new ProducerRecord<>(
                  "batches", null, System.currentTimeMillis(), null, new byte[400_000]),
              (metadata, exception) -> failed.set(exception));
      assertThat(failed.get())
          .as("max.request.size is lower than spanlinks.record.max.bytes: it is the limit")
          .isInstanceOf(RefusedBeforeSendException.class)
          .hasMessageContaining("300000-byte limit");
      assertThat(sent).isDone();
      assertThat(sent).failsWithin(java.time.Duration.ZERO);
      assertThat(DeadLetterHandler.isRefusalOfTheRecord(failed.get())).isTrue();
      assertThat(producer.metrics().get(producerMetric(producer, "record-send-total")))
          .extracting(metric -> ((Number) metric.metricValue()).doubleValue())
          .isEqualTo(0.0);
    }
  }

  private static org.apache.kafka.common.MetricName producerMetric(
      CheckedWritesProducer producer, String name) {
    return producer.metrics().keySet().stream()
        .filter(metric -> metric.name().equals(name) && metric.group().equals("producer-metrics"))
        .findFirst()
        .orElseThrow();
  }

  private static String refusal(ProducerRecord<byte[], byte[]> record) {
    return CheckedWritesProducer.whyRefused(record, 262_144, HOUR, 2 * HOUR, NOW).orElse(null);
  }
}
