package dev.spanlinks.streams;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Input records a deserializer refuses, dead-lettered when Kafka Streams processes them rather than
 * when it polls them, so that under exactly-once each is dead-lettered once.
 *
 * <p>Why: Kafka Streams dead-letters a record its deserializer refuses as soon as it is polled, and
 * skips it without counting it as processed. Until the task processes a later record of that
 * partition, the offset after the refused one is not committed, while its dead letter is, in the
 * next transaction of the stream thread. A rebalance or a clean stop in between (the first records
 * of a newly assigned partition refused, the next ones still buffered) reads the refused record
 * again and writes its dead letter twice.
 *
 * <p>How: {@link #consumed} wraps the source's deserializers so that a refusal returns null and
 * notes the failure in the record's headers ({@code spanlinks.rejected.*}), and wraps its timestamp
 * extractor so that a refused record gets the partition's time (or 0): it never moves stream time,
 * and its own timestamp is kept in a header. The first step that reads the record calls {@link
 * #throwIfRejected}, the processing exception handler ({@link DeadLetterHandler}) dead-letters it
 * like any record that fails in processing, and Kafka Streams counts it as processed. The dead
 * letter is what it was before: the record as sent (the notes removed), the original exception's
 * class, message and, for anything but a {@link RejectedRecordException}, stack trace, and the
 * record's own timestamp. {@link LinkedWindows}' first step checks the notes, so a topology whose
 * own steps before it tolerate a null key or value needs nothing more.
 */
public final class DeferredRejection {
  static final String HEADER_PREFIX = "spanlinks.rejected.";
  static final String HEADER_EXCEPTION = HEADER_PREFIX + "exception";
  static final String HEADER_MESSAGE = HEADER_PREFIX + "message";
  static final String HEADER_STACKTRACE = HEADER_PREFIX + "stacktrace";

  /** The refused record's own timestamp, in epoch milliseconds. */
  static final String HEADER_TIMESTAMP = HEADER_PREFIX + "timestamp";

  /**
   * Who noted the refusal: {@link #NOTED_BY}, random for each JVM, so that a record a producer sent
   * with headers of these names is not taken for a refused one (it goes through as it is).
   */
  static final String HEADER_NOTED_BY = HEADER_PREFIX + "by";

  private static final byte[] NOTED_BY =
      UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8);

  private static final int MAX_MESSAGE_CHARS = DeadLetterHandler.MAX_REASON_CHARS + 1;
  private static final int MAX_STACKTRACE_CHARS = DeadLetterHandler.MAX_STACKTRACE_CHARS + 1;

  private DeferredRejection() {}

  /**
   * The source's {@link Consumed} with both deserializers and the timestamp extractor wrapped.
   *
   * @param extractor the event time of a record that was read; it never sees a refused one
   */
  public static <K, V> Consumed<K, V> consumed(
      Serde<K> keySerde, Serde<V> valueSerde, TimestampExtractor extractor) {
    return Consumed.with(serde(keySerde), serde(valueSerde))
        .withTimestampExtractor(timestampExtractor(extractor));
  }

  /** {@code serde} with its deserializer wrapped; its serializer as it is. */
  public static <T> Serde<T> serde(Serde<T> serde) {
    return Serdes.serdeFrom(serde.serializer(), deserializer(serde.deserializer()));
  }

  /**
   * A deserializer that returns null for a record {@code inner} refuses, and notes why in the
   * record's headers (the first failure of a record wins).
   */
  public static <T> Deserializer<T> deserializer(Deserializer<T> inner) {
    Objects.requireNonNull(inner, "inner");
    return new Deserializer<>() {
      @Override
      public void configure(Map<String, ?> configs, boolean isKey) {
        inner.configure(configs, isKey);
      }

      @Override
      public T deserialize(String topic, byte[] data) {
        return inner.deserialize(topic, data);
      }

      @Override
      public T deserialize(String topic, Headers headers, byte[] data) {
        if (headers == null) {
          return inner.deserialize(topic, null, data);
        }
        try {
          return inner.deserialize(topic, headers, data);
        } catch (RuntimeException failure) {
          note(headers, failure);
          return null;
        }
      }

      @Override
      public void close() {
        inner.close();
      }
    };
  }

  private static void note(Headers headers, RuntimeException failure) {
    if (isRejected(headers)) {
      return;
    }
    headers.add(HEADER_NOTED_BY, NOTED_BY);
    add(headers, HEADER_EXCEPTION, failure.getClass().getName());
    // One character more than a dead letter's reason keeps: it is cut there, marked as cut.
    add(headers, HEADER_MESSAGE, cut(String.valueOf(failure.getMessage()), MAX_MESSAGE_CHARS));
    if (!(failure instanceof RejectedRecordException)) {
      StringWriter trace = new StringWriter();
      failure.printStackTrace(new PrintWriter(trace));
      add(headers, HEADER_STACKTRACE, cut(trace.toString(), MAX_STACKTRACE_CHARS));
    }
  }

  /**
   * An extractor that gives a refused record the partition's time (0 when the partition has none
   * yet) and keeps its own timestamp in a header; every other record gets {@code inner}'s.
   */
  public static TimestampExtractor timestampExtractor(TimestampExtractor inner) {
    Objects.requireNonNull(inner, "inner");
    return (ConsumerRecord<Object, Object> record, long partitionTime) -> {
      if (!isRejected(record.headers())) {
        return inner.extract(record, partitionTime);
      }
      add(record.headers(), HEADER_TIMESTAMP, Long.toString(record.timestamp()));
      return Math.max(0, partitionTime);
    };
  }

  /** True when a wrapped deserializer refused the record with these headers. */
  public static boolean isRejected(Headers headers) {
    if (headers == null) {
      return false;
    }
    Header notedBy = headers.lastHeader(HEADER_NOTED_BY);
    return notedBy != null && Arrays.equals(notedBy.value(), NOTED_BY);
  }

  /**
   * Throws the refusal noted in {@code headers}, if any: a {@link RejectedRecordException} with its
   * reason, or a {@link Failure} naming the exception the deserializer threw.
   */
  public static void throwIfRejected(Headers headers) {
    if (!isRejected(headers)) {
      return;
    }
    String exception = text(headers, HEADER_EXCEPTION);
    String message = text(headers, HEADER_MESSAGE);
    if (exception.equals(RejectedRecordException.class.getName())) {
      throw new RejectedRecordException(message);
    }
    throw new Failure(exception, message, text(headers, HEADER_STACKTRACE));
  }

  /**
   * The record's own timestamp if a wrapped deserializer refused it, else {@code orElse}: what a
   * dead letter keeps as the record's time.
   */
  static long ownTimestamp(Headers headers, long orElse) {
    if (!isRejected(headers)) {
      return orElse;
    }
    String own = text(headers, HEADER_TIMESTAMP);
    return own == null ? orElse : Long.parseLong(own);
  }

  /**
   * {@code headers} without the notes of a refusal (a copy when there are any): every header whose
   * key starts with {@value #HEADER_PREFIX}.
   */
  static Headers withoutNotes(Headers headers) {
    if (!isRejected(headers)) {
      return headers;
    }
    Headers copy = new RecordHeaders();
    for (Header header : headers) {
      if (!header.key().startsWith(HEADER_PREFIX)) {
        copy.add(header);
      }
    }
    return copy;
  }

  private static String cut(String text, int maxChars) {
    return text.length() <= maxChars ? text : text.substring(0, maxChars);
  }

  private static String text(Headers headers, String key) {
    Header header = headers.lastHeader(key);
    return header == null || header.value() == null
        ? null
        : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static void add(Headers headers, String key, String value) {
    headers.add(key, value.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A deserializer's failure other than a {@link RejectedRecordException}, thrown again when the
   * record is processed: the dead letter names {@link #originalClassName()} and carries {@link
   * #originalStackTrace()}.
   */
  public static final class Failure extends SerializationException {
    private static final long serialVersionUID = 1L;
    private final String originalClassName;
    private final String originalStackTrace;

    Failure(String originalClassName, String message, String originalStackTrace) {
      super(message);
      this.originalClassName = originalClassName;
      this.originalStackTrace = originalStackTrace;
    }

    @Override
    public String toString() {
      return originalClassName + ": " + getMessage();
    }

    /** The class of the exception the deserializer threw. */
    public String originalClassName() {
      return originalClassName;
    }

    /** Its stack trace, as text (cut to the length a dead letter carries); may be null. */
    public String originalStackTrace() {
      return originalStackTrace;
    }
  }
}
