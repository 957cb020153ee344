package dev.spanlinks.streams;

import io.opentelemetry.api.common.Attributes;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * What spanlinks needs of one record of any type to batch it ({@link RecordReader}).
 *
 * @param id identifies the record across redeliveries: a redelivered record counts once; never
 *     blank, at most 256 characters; null when records carry no id of their own: the record's input
 *     position ({@code partition@offset}) is then its id, the same on every redelivery
 * @param batchKey the batch the record belongs to, with its event-time window; never blank
 * @param eventTime the record's event time; null: the record timestamp
 * @param sumKey the key of the batch total that {@code sum} adds to; null: the record adds to no
 *     total
 * @param sum a number the batch sums (non-negative, at most 15 digits before the point and 9
 *     after); null when {@code sumKey} is
 * @param linkAttributes what the record's span link carries besides spanlinks' own attributes (with
 *     {@code spanlinks.link.attributes} {@code standard} or {@code all}; {@code none} sends the
 *     span context alone): at most {@value #MAX_LINK_ATTRIBUTES} attributes of type string,
 *     boolean, long or double, keys of at most {@value #MAX_KEY_CHARS} characters, string values of
 *     at most {@value #MAX_VALUE_CHARS}. A record beyond these goes to the dead-letter topic. They
 *     are kept in the window's state until it closes, so every byte counts once per record.
 */
public record BatchedRecord(
    String id,
    String batchKey,
    Instant eventTime,
    String sumKey,
    BigDecimal sum,
    Attributes linkAttributes) {
  public static final int MAX_LINK_ATTRIBUTES = 16;
  public static final int MAX_KEY_CHARS = 128;
  public static final int MAX_VALUE_CHARS = 256;

  /** A record whose link carries no attributes of its own. */
  public BatchedRecord(
      String id, String batchKey, Instant eventTime, String sumKey, BigDecimal sum) {
    this(id, batchKey, eventTime, sumKey, sum, Attributes.empty());
  }

  public BatchedRecord {
    Objects.requireNonNull(linkAttributes, "linkAttributes");
    Objects.requireNonNull(batchKey, "batchKey");
    if ((sumKey == null) != (sum == null)) {
      throw new IllegalArgumentException("sumKey and sum go together: " + sumKey + ", " + sum);
    }
  }

  /** This record, its link carrying {@code attributes} (see {@link #linkAttributes()}). */
  public BatchedRecord withLinkAttributes(Attributes attributes) {
    return new BatchedRecord(id, batchKey, eventTime, sumKey, sum, attributes);
  }

  /** A record that adds to no total. */
  public static BatchedRecord of(String id, String batchKey, Instant eventTime) {
    return new BatchedRecord(id, batchKey, eventTime, null, null);
  }
}
