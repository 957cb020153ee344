package dev.spanlinks.streams;

/**
 * Reads what spanlinks needs from a record of the user's own type. Called once per record, on the
 * stream thread; must not block. A record it cannot read throws {@link
 * dev.spanlinks.streams.RejectedRecordException} with the reason: the record goes to the
 * dead-letter topic and processing goes on.
 *
 * @param <K> the record key type
 * @param <V> the record value type
 */
@FunctionalInterface
public interface RecordReader<K, V> {
  BatchedRecord read(K key, V value, long recordTimestamp);
}
