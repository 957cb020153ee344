package dev.spanlinks.benchmarks;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Writes a benchmark's input, every record or a clear failure: never a run on an input with records
 * missing.
 *
 * <p>One request in flight per partition. With five (the default), the first batch sent to a
 * partition of a topic created a moment before can be answered NOT_LEADER while the next ones are
 * appended (the partition's leader came up in between, and a broker takes any first sequence number
 * from a producer it has not seen): the first batch is then retried out of order until its delivery
 * times out, two minutes later, and is lost without a word. The count's windows of those orders
 * never closed, and the benchmark waited 15 minutes for them (seen in {@code BenchmarkSmokeIT} on
 * the embedded broker, under load). Every send's result is checked: {@link #close()} fails with the
 * first error.
 */
final class InputProducer implements AutoCloseable {
  private final KafkaProducer<String, byte[]> producer;
  private final String topic;
  private final AtomicReference<Exception> failure = new AtomicReference<>();

  InputProducer(String bootstrapServers, String topic, int lingerMs) {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", bootstrapServers);
    config.put("linger.ms", lingerMs);
    config.put("batch.size", 256 * 1024);
    config.put("max.in.flight.requests.per.connection", 1);
    this.producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    this.topic = topic;
  }

  void send(TestRecord<String, byte[]> record) {
    Exception earlier = failure.get();
    if (earlier != null) {
      throw new IllegalStateException("Could not write the input to " + topic, earlier);
    }
    producer.send(
        new ProducerRecord<>(
            topic, null, record.timestamp(), record.key(), record.value(), record.headers()),
        (metadata, exception) -> {
          if (exception != null) {
            failure.compareAndSet(null, exception);
          }
        });
  }

  /** Waits for every record; fails if any was not written. */
  @Override
  public void close() {
    producer.flush();
    producer.close(Duration.ofSeconds(30));
    Exception failed = failure.get();
    if (failed != null) {
      throw new IllegalStateException("Could not write the input to " + topic, failed);
    }
  }
}
