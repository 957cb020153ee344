package dev.spanlinks.streams;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Records a broker refused after they were sent, by what they are (topic, key and value), so that
 * the same record sent again is refused before it reaches the producer ({@link
 * CheckedWritesProducer}) and goes to the dead-letter topic. Under exactly-once a refusal the
 * broker answers dooms the whole transaction; the task then processes the same input again, writes
 * the same record again, and without this memory would meet the same refusal on every try.
 *
 * <p>Remembered by the record, not by the input position the production handler is told: Kafka
 * Streams builds that context when the broker's answer arrives, from whatever record the task is
 * processing by then. Kept in memory for the life of the process, at most {@value #MAX_REMEMBERED}
 * records (the oldest go first), in every stream thread's producer: a refusal the checks before the
 * send did not catch (a topic's limit lowered while the app runs) is rare, and a restart meets it
 * once more, then remembers it. Identity is the topic, the key and value lengths and their hashes:
 * two different records of one topic with the same lengths and both hashes equal are not expected.
 */
final class RefusedWrites {
  static final int MAX_REMEMBERED = 10_000;

  private static final Map<String, String> REFUSED =
      Collections.synchronizedMap(
          new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
              return size() > MAX_REMEMBERED;
            }
          });

  private RefusedWrites() {}

  static void remember(ProducerRecord<byte[], byte[]> record, String reason) {
    REFUSED.put(identity(record), reason);
  }

  /** Why the broker refused this same record before, if it did. */
  static Optional<String> refused(ProducerRecord<byte[], byte[]> record) {
    if (REFUSED.isEmpty()) {
      return Optional.empty(); // the common case: nothing hashed
    }
    return Optional.ofNullable(REFUSED.get(identity(record)));
  }

  private static String identity(ProducerRecord<byte[], byte[]> record) {
    byte[] key = record.key();
    byte[] value = record.value();
    return record.topic()
        + '\u0000'
        + (key == null ? -1 : key.length)
        + ':'
        + Arrays.hashCode(key)
        + '\u0000'
        + (value == null ? -1 : value.length)
        + ':'
        + Arrays.hashCode(value);
  }
}
