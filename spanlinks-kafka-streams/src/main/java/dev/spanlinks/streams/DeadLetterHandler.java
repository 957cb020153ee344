package dev.spanlinks.streams;

import dev.spanlinks.streams.trace.SpanExportTimeoutException;
import dev.spanlinks.streams.trace.internals.SpanlinksMetrics;
import io.opentelemetry.api.OpenTelemetry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The failure boundary of each record: whatever fails on one input record (its deserializers, a
 * {@link RecordReader}, validation, the capture step) sends that record to the dead-letter topic
 * through Kafka Streams' own dead-letter-queue support (KIP-1034), and processing goes on. The
 * handler returns the dead-letter record, and Kafka Streams produces it within the task's
 * transaction.
 *
 * <p>Read a source through {@link DeferredRejection}: a record its deserializers refuse then fails
 * in processing, and is dead-lettered once. Through this class's deserialization handler instead (a
 * source that does not), Kafka Streams skips it without counting it as processed, and under
 * exactly-once a rebalance before the next record of its partition is processed writes its dead
 * letter twice.
 *
 * <p>Only faults of the infrastructure stop a stream thread: a {@link StreamsException} (state
 * store I/O, a fenced producer, a lost task), a span export past its timeout ({@link
 * SpanExportTimeoutException}), an error outside any input record (a punctuator), and a write the
 * broker refuses for a reason that is not the record's own (it answers {@code RETRY} for a
 * retriable one, as Kafka's default does).
 *
 * <p>The dead-letter record keeps the original key, value, timestamp and headers, and adds the
 * standard {@code __streams.errors.*} headers; {@code __streams.errors.message} is the reason. It
 * always fits the broker's limits ({@link WriteLimits}): a timestamp ahead of the wall clock (an
 * order from the far future) becomes the time of dead-lettering, and one behind what the brokers
 * keep the oldest they take; a record too large keeps its reason headers and as much of its value
 * (then key) as fits, and header {@value #HEADER_TRUNCATED} says what was cut. A {@link
 * RejectedRecordException} is ordinary bad input: a rate-limited warning; anything else is logged
 * with its stack trace (rate-limited too), and the dead letter carries the stack trace.
 *
 * <p>A write refused because of the record itself (too large, a timestamp out of the broker's
 * range) is counted, and the refused record goes to the dead-letter topic in its place (a dead
 * letter that is refused is logged). Most are refused before they are sent ({@link
 * RefusedBeforeSendException}, by {@link CheckedWritesProducer}): nothing reached the producer, and
 * under exactly-once the dead letter is written in the same transaction. A refusal the broker
 * answers under exactly-once has already doomed the transaction: it aborts, the stream thread fails
 * with the refusal ({@link #isRefusal}: {@link RetryingExceptionHandler} replaces the thread), the
 * producer has remembered the record ({@link RefusedWrites}), and when the task processes the input
 * again that same record is refused before it is sent, and dead-lettered; everything else is
 * written once. The input position on a dead letter of a refusal the broker answered is the record
 * being processed when the answer came, not always the one whose write it was.
 */
public final class DeadLetterHandler
    implements DeserializationExceptionHandler,
        ProcessingExceptionHandler,
        ProductionExceptionHandler {
  public static final String HEADER_EXCEPTION = "__streams.errors.exception";
  public static final String HEADER_MESSAGE = "__streams.errors.message";
  public static final String HEADER_STACKTRACE = "__streams.errors.stacktrace";
  public static final String HEADER_TOPIC = "__streams.errors.topic";
  public static final String HEADER_PARTITION = "__streams.errors.partition";
  public static final String HEADER_OFFSET = "__streams.errors.offset";

  /**
   * On a dead letter cut to fit: what was cut and how large it was ({@code value=1200000} and so
   * on, comma-separated).
   */
  public static final String HEADER_TRUNCATED = "spanlinks.dead.letter.truncated";

  /**
   * The record's own timestamp (epoch milliseconds): the dead-letter topic spanlinks creates stamps
   * records with the time they are written ({@code LogAppendTime}), so that its retention counts
   * from then.
   */
  public static final String HEADER_TIMESTAMP = "spanlinks.dead.letter.timestamp";

  /** The longest reason and stack trace a dead letter carries, in characters. */
  static final int MAX_REASON_CHARS = 1_000;

  static final int MAX_STACKTRACE_CHARS = 8_000;

  private static final Logger log = LoggerFactory.getLogger(DeadLetterHandler.class);

  /** Shared by the handlers of every stream thread: one stream of warnings for the process. */
  private static final RateLimitedWarning INVALID_ORDER =
      new RateLimitedWarning(
          log, "Dead-lettering invalid order. topic=[{}] partition=[{}] offset=[{}] reason=[{}]");

  private static final RateLimitedWarning FAILED_RECORD =
      new RateLimitedWarning(
          log,
          "Dead-lettering a record that failed with an unexpected error; processing goes on."
              + " topic=[{}] partition=[{}] offset=[{}] error=[{}]");

  private static final RateLimitedWarning REFUSED_WRITE =
      new RateLimitedWarning(
          log,
          "The broker refused a record spanlinks wrote; {}. topic=[{}] source=[{}-{}@{}]"
              + " error=[{}]");

  /**
   * Where the handler finds the application's OpenTelemetry instance, to count dead letters: Kafka
   * Streams hands the handler its configuration, and live objects pass through it unchanged.
   */
  public static final String OPEN_TELEMETRY_CONFIG = "spanlinks.internal.opentelemetry";

  private static final AtomicBoolean NO_METRICS_SAID = new AtomicBoolean();

  private String deadLetterTopic;
  private int recordMaxBytes;
  private long maxPastMs;
  private boolean exactlyOnce;
  private SpanlinksMetrics metrics;

  /**
   * Kafka Streams creates the handler from its class name ({@link
   * BatchConfig#streamsProperties()}), then calls {@link #configure}.
   */
  public DeadLetterHandler() {}

  @Override
  public void configure(Map<String, ?> configs) {
    Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
    if (topic == null || topic.toString().isBlank()) {
      throw new ConfigException(
          StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG
              + " must name a topic: without it invalid orders would be dropped silently");
    }
    deadLetterTopic = topic.toString();
    recordMaxBytes =
        (int)
            number(
                configs, BatchConfig.RECORD_MAX_BYTES_CONFIG, BatchConfig.DEFAULT_RECORD_MAX_BYTES);
    maxPastMs = number(configs, BatchConfig.MAX_PAST_MS_CONFIG, Long.MAX_VALUE);
    exactlyOnce =
        StreamsConfig.EXACTLY_ONCE_V2.equals(
            String.valueOf(configs.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)));
    Object openTelemetry = configs.get(OPEN_TELEMETRY_CONFIG);
    if (!(openTelemetry instanceof OpenTelemetry) && NO_METRICS_SAID.compareAndSet(false, true)) {
      log.warn(
          "Dead letters are not counted in metrics (spanlinks.orders, outcome dead_lettered):"
              + " build the Kafka Streams properties with BatchConfig.streamsProperties("
              + "openTelemetry). They are still written to {} and logged.",
          deadLetterTopic);
    }
    metrics =
        new SpanlinksMetrics(
            openTelemetry instanceof OpenTelemetry given ? given : OpenTelemetry.noop());
  }

  private static long number(Map<String, ?> configs, String key, long defaultValue) {
    Object value = configs.get(key);
    return value == null ? defaultValue : Long.parseLong(value.toString().trim());
  }

  /** Every deserialization failure is the record's own: dead-letter it and go on. */
  @Override
  public DeserializationExceptionHandler.Response handleError(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    return DeserializationExceptionHandler.Response.resume(
        deadLetterAndCount(
            record.key(),
            record.value(),
            record.headers(),
            record.timestamp(),
            context,
            exception));
  }

  @Override
  public ProcessingExceptionHandler.Response handleError(
      ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    if (exception instanceof SpanExportTimeoutException) {
      // The record is innocent: the close it triggered could not export its spans in time.
      log.error("{}", exception.getMessage());
      return ProcessingExceptionHandler.Response.fail();
    }
    if (exception instanceof StreamsException) {
      // Kafka Streams' own: a state store that cannot be read or written, a lost task. Not the
      // record's fault, and dead-lettering it would lose an order that is fine.
      log.error("Stopping after an infrastructure error", exception);
      return ProcessingExceptionHandler.Response.fail();
    }
    boolean ofInputRecord =
        context.sourceRawValue() != null
            || context.sourceRawKey() != null
            // A record whose key and value are both null, refused: it came from a topic too.
            || (context.topic() != null
                && context.offset() >= 0
                && (exception instanceof RejectedRecordException
                    || exception instanceof DeferredRejection.Failure));
    if (!ofInputRecord) {
      // Not caused by an input record (a punctuator failed, say): nothing to dead-letter.
      log.error("Stopping after an error outside of any input record", exception);
      return ProcessingExceptionHandler.Response.fail();
    }
    return ProcessingExceptionHandler.Response.resume(
        deadLetterAndCount(
            context.sourceRawKey(),
            context.sourceRawValue(),
            DeferredRejection.withoutNotes(context.headers()),
            DeferredRejection.ownTimestamp(context.headers(), context.timestamp()),
            context,
            exception));
  }

  /**
   * A write the broker or the producer refused. Refusals of the record itself go to the dead-letter
   * topic in its place; see the class comment for exactly-once.
   */
  @Override
  public ProductionExceptionHandler.Response handleError(
      ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
    if (!isRefusalOfTheRecord(exception)) {
      return exception instanceof RetriableException
          ? ProductionExceptionHandler.Response.retry()
          : ProductionExceptionHandler.Response.fail();
    }
    metrics.refusedWrite();
    if (record.topic().equals(deadLetterTopic)) {
      warnRefused(
          "a dead letter cannot be written anywhere, dropped it", record, context, exception);
      return ProductionExceptionHandler.Response.resume();
    }
    if (exactlyOnce && !(exception instanceof RefusedBeforeSendException)) {
      // The broker's refusal has put the transaction in an abortable state: a dead letter sent now
      // would fail too. The transaction aborts, and the task processes the input again from its
      // last commit: the same record is refused before it is sent then, and dead-lettered.
      warnRefused(
          "the transaction aborts, and the record is dead-lettered when it is written again",
          record,
          context,
          exception);
      return ProductionExceptionHandler.Response.resume();
    }
    warnRefused("wrote it to the dead-letter topic instead", record, context, exception);
    return ProductionExceptionHandler.Response.resume(
        List.of(
            deadLetter(
                record.key(),
                record.value(),
                record.headers(),
                record.timestamp() == null ? System.currentTimeMillis() : record.timestamp(),
                context,
                exception,
                false)));
  }

  private static void warnRefused(
      String outcome,
      ProducerRecord<byte[], byte[]> record,
      ErrorHandlerContext context,
      Exception exception) {
    REFUSED_WRITE.warn(
        outcome,
        record.topic(),
        context.topic(),
        context.partition(),
        context.offset(),
        exception.toString());
  }

  /** A value that cannot be serialized: spanlinks' own serializers do not fail on any value. */
  @Override
  @SuppressWarnings("rawtypes") // the interface's own signature
  public ProductionExceptionHandler.Response handleSerializationError(
      ErrorHandlerContext context,
      ProducerRecord record,
      Exception exception,
      ProductionExceptionHandler.SerializationExceptionOrigin origin) {
    metrics.refusedWrite();
    REFUSED_WRITE.warn(
        "its " + origin.name().toLowerCase(Locale.ROOT) + " could not be serialized",
        record.topic(),
        context.topic(),
        context.partition(),
        context.offset(),
        exception.toString());
    return ProductionExceptionHandler.Response.resume();
  }

  /**
   * The broker's or producer's refusals of one record, whatever the others: its size or its
   * timestamp. Anything else (authorization, a lost broker, a fenced producer) is not the record's.
   */
  static boolean isRefusalOfTheRecord(Throwable exception) {
    return exception instanceof RecordTooLargeException
        || exception instanceof RecordBatchTooLargeException
        || exception instanceof InvalidTimestampException
        || exception instanceof InvalidRecordException;
  }

  /**
   * True when {@code failure} (a stream thread's, say) was caused by a broker's refusal of one
   * record: a new thread processes the input again and dead-letters that record, so replace the
   * thread rather than stop the application.
   */
  public static boolean isRefusal(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (isRefusalOfTheRecord(cause)) {
        return true;
      }
    }
    return false;
  }

  /** The dead-letter record of one input, counted and logged; bad input gets no stack trace. */
  private List<ProducerRecord<byte[], byte[]>> deadLetterAndCount(
      byte[] key,
      byte[] value,
      Headers headers,
      long timestamp,
      ErrorHandlerContext context,
      Exception exception) {
    boolean badInput = exception instanceof RejectedRecordException;
    metrics.deadLettered();
    if (badInput) {
      INVALID_ORDER.warn(context.topic(), context.partition(), context.offset(), reason(exception));
    } else {
      FAILED_RECORD.warn(
          context.topic(), context.partition(), context.offset(), exception.toString(), exception);
    }
    return List.of(deadLetter(key, value, headers, timestamp, context, exception, !badInput));
  }

  private static String reason(Exception exception) {
    return truncate(String.valueOf(exception.getMessage()), MAX_REASON_CHARS);
  }

  private ProducerRecord<byte[], byte[]> deadLetter(
      byte[] key,
      byte[] value,
      Headers original,
      long timestamp,
      ErrorHandlerContext context,
      Exception exception,
      boolean withStackTrace) {
    Headers reasons = new RecordHeaders();
    DeferredRejection.Failure deferred =
        exception instanceof DeferredRejection.Failure failure ? failure : null;
    add(
        reasons,
        HEADER_EXCEPTION,
        deferred == null ? exception.getClass().getName() : deferred.originalClassName());
    add(reasons, HEADER_MESSAGE, reason(exception));
    if (withStackTrace) {
      String trace;
      if (deferred == null) {
        StringWriter text = new StringWriter();
        exception.printStackTrace(new PrintWriter(text));
        trace = text.toString();
      } else {
        trace = String.valueOf(deferred.originalStackTrace());
      }
      add(reasons, HEADER_STACKTRACE, truncate(trace, MAX_STACKTRACE_CHARS));
    }
    add(reasons, HEADER_TOPIC, String.valueOf(context.topic()));
    add(reasons, HEADER_PARTITION, Integer.toString(context.partition()));
    add(reasons, HEADER_OFFSET, Long.toString(context.offset()));
    add(reasons, HEADER_TIMESTAMP, Long.toString(timestamp));
    Parts parts = fitted(original, reasons, key, value, recordMaxBytes);
    return new ProducerRecord<>(
        deadLetterTopic,
        null,
        writableTimestamp(timestamp, System.currentTimeMillis()),
        parts.key(),
        parts.value(),
        parts.headers());
  }

  /**
   * A timestamp the broker takes: never ahead of the clock, never before 1970 (a producer refuses a
   * negative one), never older than {@code message.timestamp.before.max.ms}.
   */
  long writableTimestamp(long timestamp, long nowMs) {
    long oldest = maxPastMs >= nowMs ? 0 : nowMs - maxPastMs;
    return Math.max(oldest, Math.min(timestamp, nowMs));
  }

  /** A dead letter's key, value and headers. */
  record Parts(byte[] key, byte[] value, Headers headers) {}

  /**
   * The dead letter's parts, cut to {@code recordMaxBytes} if need be: the value first, then the
   * original headers, then the key; the reason headers always stay.
   */
  static Parts fitted(
      Headers original, Headers reasons, byte[] key, byte[] value, int recordMaxBytes) {
    Headers headers = new RecordHeaders(original == null ? new Header[0] : original.toArray());
    reasons.forEach(headers::add);
    long limit = recordMaxBytes - 256L; // room for the truncation header itself
    if (WriteLimits.recordBytes(key, value, headers) <= limit) {
      return new Parts(key, value, headers);
    }
    List<String> cut = new ArrayList<>();
    if (WriteLimits.recordBytes(key, null, headers) > limit && original != null) {
      // Key and headers alone are too large: the original headers go, the reasons stay.
      cut.add("headers=" + original.toArray().length);
      headers = new RecordHeaders(reasons.toArray());
    }
    byte[] fittedValue = value;
    long withoutValue = WriteLimits.recordBytes(key, null, headers);
    if (value != null && withoutValue + value.length > limit) {
      fittedValue = Arrays.copyOf(value, (int) Math.max(0, limit - withoutValue));
      cut.add("value=" + value.length);
    }
    byte[] fittedKey = key;
    long withoutKey = WriteLimits.recordBytes(null, fittedValue, headers);
    if (key != null && withoutKey + key.length > limit) {
      fittedKey = Arrays.copyOf(key, (int) Math.max(0, limit - withoutKey));
      cut.add("key=" + key.length);
    }
    add(headers, HEADER_TRUNCATED, String.join(",", cut));
    return new Parts(fittedKey, fittedValue, headers);
  }

  private static String truncate(String text, int maxChars) {
    return text.length() <= maxChars ? text : text.substring(0, maxChars) + "...";
  }

  private static void add(Headers headers, String key, String value) {
    headers.add(key, value.getBytes(StandardCharsets.UTF_8));
  }
}
