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
  /** The longest {@link #id()}. */
  public static final int MAX_ID_CHARS = 256;

  /** Digits of a {@link #sum()} before the point: below a quadrillion. */
  public static final int MAX_SUM_INTEGER_DIGITS = 15;

  /** Digits of a {@link #sum()} after the point, trailing zeros not counted. */
  public static final int MAX_SUM_FRACTION_DIGITS = 9;

  private static final Instant LAST_TIMESTAMP = Instant.ofEpochMilli(Long.MAX_VALUE);

  /**
   * The largest serialized value the write limits allow for, in bytes, when they check before
   * anything is written that a record's late or repartitioned copy (its key, value and headers)
   * will fit the record limit: the headers are measured, the value is assumed at most this. A
   * reader whose values can be larger should refuse those ({@link RejectedRecordException}).
   */
  public static final int COPY_VALUE_MAX_BYTES = 6 * 1024;

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

  /**
   * A number as a batch sums it: never negative, at most {@value #MAX_SUM_INTEGER_DIGITS} digits
   * before the point and {@value #MAX_SUM_FRACTION_DIGITS} after it (trailing zeros not counted),
   * with the scale it came with, within [0, 9]. Anything larger or finer is an accident or an
   * attack: {@code 1e999999999} is a valid JSON number, and summing it at the window's close would
   * throw every time the stored value is read again. Readers may call it to refuse early; spanlinks
   * calls it on every {@link #sum()}.
   *
   * @param what the number's name in the reason, say {@code "amount"}
   * @throws RejectedRecordException naming the rule the number breaks
   */
  public static BigDecimal checkedSum(BigDecimal sum, String what) {
    if (sum.signum() < 0) {
      throw new RejectedRecordException(what + " must not be negative");
    }
    // precision() - scale() and stripTrailingZeros() cost nothing like the arithmetic that huge
    // exponents make slow or impossible; zero has no digits to count. In long: for 1E+2147483647
    // (precision 1, scale -2147483647) the int difference overflows to a negative count.
    if (sum.signum() > 0 && (long) sum.precision() - sum.scale() > MAX_SUM_INTEGER_DIGITS) {
      throw new RejectedRecordException(
          what + " must have at most " + MAX_SUM_INTEGER_DIGITS + " digits before the point");
    }
    if (sum.signum() > 0 && sum.stripTrailingZeros().scale() > MAX_SUM_FRACTION_DIGITS) {
      throw new RejectedRecordException(
          what + " must have at most " + MAX_SUM_FRACTION_DIGITS + " digits after the point");
    }
    // Exact after the checks above (only trailing zeros go), and a zero sent as 0e-999999999
    // cannot give its batch's total a billion digits.
    int scale = Math.max(0, Math.min(sum.scale(), MAX_SUM_FRACTION_DIGITS));
    return sum.setScale(scale);
  }

  /**
   * The instant, when Kafka can use it as a timestamp: Kafka Streams would skip a negative one with
   * only a log line. Readers may call it to refuse early; spanlinks calls it on every {@link
   * #eventTime()}.
   *
   * @param what the instant's name in the reason, say {@code "createdAt"}
   * @throws RejectedRecordException before 1970 or past the range of epoch milliseconds
   */
  public static Instant checkedTimestamp(Instant instant, String what) {
    if (instant.isBefore(Instant.EPOCH) || instant.isAfter(LAST_TIMESTAMP)) {
      throw new RejectedRecordException(
          what + " is outside the range of Kafka timestamps (1970-01-01 onwards, epoch ms)");
    }
    return instant;
  }
}
