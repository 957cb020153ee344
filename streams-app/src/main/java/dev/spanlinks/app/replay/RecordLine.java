package dev.spanlinks.app.replay;

import java.util.List;
import java.util.Objects;

/**
 * One Kafka record as a line of a replay file: where it came from, its timestamp, and its key,
 * value and headers as raw bytes.
 *
 * <p>Byte arrays are held as given (no copies, for speed on large files); treat them as read-only.
 *
 * @param topic the topic it was exported from; null when unknown (a hand-written file)
 * @param partition its partition; null when unknown
 * @param offset its offset; null when unknown
 * @param timestampMs the record timestamp, epoch milliseconds
 * @param key the key bytes; null for a null key
 * @param value the value bytes; null for a tombstone
 * @param headers the headers in record order, duplicate keys kept
 */
public record RecordLine(
    String topic,
    Integer partition,
    Long offset,
    long timestampMs,
    byte[] key,
    byte[] value,
    List<Header> headers) {

  public RecordLine {
    headers = List.copyOf(headers);
  }

  /** Same record at another time. */
  public RecordLine withTimestamp(long newTimestampMs, byte[] newValue) {
    return new RecordLine(topic, partition, offset, newTimestampMs, key, newValue, headers);
  }

  /**
   * A record header.
   *
   * @param key never null (Kafka refuses null header keys)
   * @param value may be null
   */
  public record Header(String key, byte[] value) {
    public Header {
      Objects.requireNonNull(key, "header key");
    }
  }
}
