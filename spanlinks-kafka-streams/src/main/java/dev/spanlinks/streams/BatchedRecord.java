package dev.spanlinks.streams;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * What spanlinks needs of one record of any type to batch it ({@link RecordReader}).
 *
 * @param id identifies the record across redeliveries: a redelivered record counts once; never
 *     blank
 * @param batchKey the batch the record belongs to, with its event-time window; never blank
 * @param eventTime the record's event time; null: the record timestamp
 * @param sumKey the key of the batch total that {@code sum} adds to; null: the record adds to no
 *     total
 * @param sum a number the batch sums (non-negative, at most 15 digits before the point and 9
 *     after); null when {@code sumKey} is
 */
public record BatchedRecord(
    String id, String batchKey, Instant eventTime, String sumKey, BigDecimal sum) {
  public BatchedRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(batchKey, "batchKey");
    if ((sumKey == null) != (sum == null)) {
      throw new IllegalArgumentException("sumKey and sum go together: " + sumKey + ", " + sum);
    }
  }

  /** A record that adds to no total. */
  public static BatchedRecord of(String id, String batchKey, Instant eventTime) {
    return new BatchedRecord(id, batchKey, eventTime, null, null);
  }
}
