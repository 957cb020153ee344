package dev.spanlinks.streams;

import dev.spanlinks.streams.model.InvalidOrderException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Input records whose writes a broker refused, per application, so that the next time a task
 * processes one it goes to the dead-letter topic before anything is written for it. Under
 * exactly-once a refused write aborts the whole transaction, and the task processes the same
 * records again: without this memory it would meet the same refusal on every try. Under
 * at-least-once the refused record has gone to the dead-letter topic already, and a redelivery
 * (after a crash) is dead-lettered again, as a redelivered invalid order is.
 *
 * <p>Kept in memory for the life of the process, at most {@value #MAX_REMEMBERED} positions (the
 * oldest go first): a refusal the writes before it did not catch is rare ({@link WriteLimits}
 * checks every input before it is taken in), and a restart meets it once more, then remembers it.
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

  static void remember(
      String applicationId, String topic, int partition, long offset, String reason) {
    REFUSED.put(position(applicationId, topic, partition, offset), reason);
  }

  /** Why a write for this input record was refused before, if one was. */
  static Optional<String> refused(String applicationId, String topic, int partition, long offset) {
    if (REFUSED.isEmpty()) {
      return Optional.empty(); // the common case: no map lookup, no string built
    }
    return Optional.ofNullable(REFUSED.get(position(applicationId, topic, partition, offset)));
  }

  /**
   * @throws InvalidOrderException when a write for the record being processed was refused before
   */
  static void check(String applicationId, ProcessingContext context) {
    if (REFUSED.isEmpty()) {
      return;
    }
    RecordMetadata metadata = context.recordMetadata().orElse(null);
    if (metadata == null) {
      return;
    }
    refused(applicationId, metadata.topic(), metadata.partition(), metadata.offset())
        .ifPresent(
            reason -> {
              throw new InvalidOrderException(
                  "the broker refused a record written for this one before: " + reason);
            });
  }

  private static String position(String applicationId, String topic, int partition, long offset) {
    return applicationId + '\u0000' + topic + '\u0000' + partition + '\u0000' + offset;
  }
}
