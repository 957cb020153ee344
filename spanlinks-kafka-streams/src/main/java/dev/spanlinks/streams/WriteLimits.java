package dev.spanlinks.streams;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The limits a broker applies to every record spanlinks writes, and the check at the edge that
 * keeps each input's later writes within them. A record the broker refuses is worse than a bad
 * input: Kafka Streams stops (or, under exactly-once, aborts the transaction and meets the same
 * record again on the retry), so whatever an input record makes spanlinks write must fit before the
 * record is taken in.
 *
 * <p>What an input record is written as, and why each fits once {@link #admit} passed it:
 *
 * <ul>
 *   <li>the repartition and late records: its batch key, its value (at most {@link
 *       BatchedRecord#COPY_VALUE_MAX_BYTES}) and its original headers, at its event time: admit
 *       checks the sum and the time;
 *   <li>the changelog blocks: at most 1 KiB, or one order's entry with its key (bounded by the key,
 *       the id and the link attributes' limits), at its event time or the wall clock;
 *   <li>the batch record: the batch key twice and the batch's totals, at the latest event time;
 *       {@link CloseWindowsProcessor} checks its size at the close all the same, since the number
 *       of totals is only known there;
 *   <li>the dead letter: {@link DeadLetterHandler} truncates it to fit and clamps its timestamp.
 * </ul>
 *
 * @param batchKeyMaxBytes the longest batch key, in UTF-8 bytes ({@value
 *     BatchConfig#BATCH_KEY_MAX_BYTES_CONFIG})
 * @param recordMaxBytes the largest record spanlinks writes ({@value
 *     BatchConfig#RECORD_MAX_BYTES_CONFIG}): the smallest of the producer's {@code
 *     max.request.size} and the topics' {@code max.message.bytes}
 * @param maxFutureMs how far ahead of the wall clock an event time may be ({@value
 *     BatchConfig#MAX_FUTURE_MS_CONFIG}, at most the brokers' {@code
 *     message.timestamp.after.max.ms})
 * @param maxPastMs how far behind ({@value BatchConfig#MAX_PAST_MS_CONFIG}: the brokers' {@code
 *     message.timestamp.before.max.ms})
 */
record WriteLimits(int batchKeyMaxBytes, int recordMaxBytes, long maxFutureMs, long maxPastMs) {
  /**
   * Bytes of a record beyond its key, value and headers, as an upper bound: the record batch header
   * (61 bytes; a record alone in its batch pays it) and the record's own varints (at most 21).
   */
  static final int RECORD_OVERHEAD_BYTES = 128;

  /** Bytes of one header beyond its key and value: two varint lengths. */
  static final int HEADER_OVERHEAD_BYTES = 10;

  /** What spanlinks adds to a repartitioned order's headers: its input position. */
  static final int ADDED_HEADERS_MAX_BYTES = 64;

  /** The limits {@code config} gives. */
  static WriteLimits of(BatchConfig config) {
    return new WriteLimits(
        config.batchKeyMaxBytes(),
        config.recordMaxBytes(),
        config.maxFutureMs(),
        config.maxPastMs());
  }

  /**
   * Takes an input record in, or refuses it with the reason.
   *
   * @throws RejectedRecordException when its batch key is too long, its event time too far from the
   *     wall clock, or its headers leave no room for its late or repartitioned copy
   */
  void admit(String batchKey, long eventTimeMs, Headers headers, long wallClockMs) {
    int keyBytes = utf8Length(batchKey);
    if (keyBytes > batchKeyMaxBytes) {
      throw new RejectedRecordException(
          "the batch key is "
              + keyBytes
              + " bytes of UTF-8, more than "
              + BatchConfig.BATCH_KEY_MAX_BYTES_CONFIG
              + " ("
              + batchKeyMaxBytes
              + ")");
    }
    if (eventTimeMs > wallClockMs && eventTimeMs - wallClockMs > maxFutureMs) {
      throw new RejectedRecordException(
          "event time is more than " + maxFutureMs + " ms ahead of the clock");
    }
    if (eventTimeMs < wallClockMs && wallClockMs - eventTimeMs > maxPastMs) {
      throw new RejectedRecordException(
          "event time is more than "
              + maxPastMs
              + " ms behind the clock, older than the brokers take (message.timestamp.before.max.ms)");
    }
    long largestCopy =
        RECORD_OVERHEAD_BYTES
            + keyBytes
            + BatchedRecord.COPY_VALUE_MAX_BYTES
            + headerBytes(headers)
            + ADDED_HEADERS_MAX_BYTES;
    if (largestCopy > recordMaxBytes) {
      throw new RejectedRecordException(
          "the record's headers take "
              + headerBytes(headers)
              + " bytes: its late or repartitioned copy would pass the "
              + recordMaxBytes
              + "-byte record limit ("
              + BatchConfig.RECORD_MAX_BYTES_CONFIG
              + ")");
    }
  }

  /** An upper bound of the bytes a record takes in a record batch. */
  static long recordBytes(byte[] key, byte[] value, Headers headers) {
    return RECORD_OVERHEAD_BYTES
        + (key == null ? 0L : key.length)
        + (value == null ? 0L : value.length)
        + headerBytes(headers);
  }

  /** The bytes of every header, with their varint lengths. */
  static long headerBytes(Headers headers) {
    if (headers == null) {
      return 0;
    }
    long bytes = 0;
    for (Header header : headers) {
      bytes +=
          HEADER_OVERHEAD_BYTES
              + utf8Length(header.key())
              + (header.value() == null ? 0 : header.value().length);
    }
    return bytes;
  }

  /** UTF-8 length without encoding: a lone surrogate becomes one '?' byte, as the encoder does. */
  static int utf8Length(String text) {
    int bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        bytes += 1;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }
}
