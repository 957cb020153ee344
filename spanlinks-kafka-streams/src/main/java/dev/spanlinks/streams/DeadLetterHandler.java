package dev.spanlinks.streams;

import dev.spanlinks.streams.model.InvalidOrderException;
import dev.spanlinks.streams.trace.SpanExportTimeoutException;
import dev.spanlinks.streams.trace.internals.SpanlinksMetrics;
import io.opentelemetry.api.OpenTelemetry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends records that are not valid orders to the dead-letter topic through Kafka Streams' own
 * dead-letter-queue support (KIP-1034): the handler returns the dead-letter record, and Kafka
 * Streams produces it within the task's transaction. Most invalid orders fail in the source's
 * deserializers; a few rules need the processing context (the wall clock) and fail in a processor:
 * both paths end here.
 *
 * <p>The dead-letter record keeps the original key, value, timestamp and headers, and adds the
 * standard {@code __streams.errors.*} headers. A timestamp ahead of the wall clock (an order from
 * the far future) becomes the time of dead-lettering: brokers reject records more than {@code
 * message.timestamp.after.max.ms} (one hour by default) ahead, which would stop the application.
 * {@code __streams.errors.message} is the reason. An {@link InvalidOrderException} is bad input:
 * processing resumes. Any other exception is a bug: the record is still dead-lettered, then the
 * application stops.
 */
public final class DeadLetterHandler
    implements DeserializationExceptionHandler, ProcessingExceptionHandler {
  static final String HEADER_EXCEPTION = "__streams.errors.exception";
  static final String HEADER_MESSAGE = "__streams.errors.message";
  static final String HEADER_STACKTRACE = "__streams.errors.stacktrace";
  static final String HEADER_TOPIC = "__streams.errors.topic";
  static final String HEADER_PARTITION = "__streams.errors.partition";
  static final String HEADER_OFFSET = "__streams.errors.offset";

  private static final Logger log = LoggerFactory.getLogger(DeadLetterHandler.class);

  /** Shared by the handlers of every stream thread: one stream of warnings for the process. */
  private static final RateLimitedWarning INVALID_ORDER =
      new RateLimitedWarning(
          log, "Dead-lettering invalid order. topic=[{}] partition=[{}] offset=[{}] reason=[{}]");

  /**
   * Where the handler finds the application's OpenTelemetry instance, to count dead letters: Kafka
   * Streams hands the handler its configuration, and live objects pass through it unchanged.
   */
  public static final String OPEN_TELEMETRY_CONFIG = "spanlinks.internal.opentelemetry";

  private static final AtomicBoolean NO_METRICS_SAID = new AtomicBoolean();

  private String deadLetterTopic;
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

  @Override
  public DeserializationExceptionHandler.Response handleError(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    List<ProducerRecord<byte[], byte[]>> deadLetter =
        deadLetterAndCount(
            record.key(), record.value(), record.headers(), record.timestamp(), context, exception);
    return exception instanceof InvalidOrderException
        ? DeserializationExceptionHandler.Response.resume(deadLetter)
        : DeserializationExceptionHandler.Response.fail(deadLetter);
  }

  @Override
  public ProcessingExceptionHandler.Response handleError(
      ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    if (exception instanceof SpanExportTimeoutException) {
      // The record is innocent: the close it triggered could not export its spans in time.
      log.error("{}", exception.getMessage());
      return ProcessingExceptionHandler.Response.fail();
    }
    if (context.sourceRawValue() == null && context.sourceRawKey() == null) {
      // Not caused by an input record (a punctuator failed, say): nothing to dead-letter.
      log.error("Stopping after an error outside of any input record", exception);
      return ProcessingExceptionHandler.Response.fail();
    }
    List<ProducerRecord<byte[], byte[]>> deadLetter =
        deadLetterAndCount(
            context.sourceRawKey(),
            context.sourceRawValue(),
            context.headers(),
            context.timestamp(),
            context,
            exception);
    return exception instanceof InvalidOrderException
        ? ProcessingExceptionHandler.Response.resume(deadLetter)
        : ProcessingExceptionHandler.Response.fail(deadLetter);
  }

  /** The dead-letter record of one input, counted and logged; bad input gets no stack trace. */
  private List<ProducerRecord<byte[], byte[]>> deadLetterAndCount(
      byte[] key,
      byte[] value,
      Headers headers,
      long timestamp,
      ErrorHandlerContext context,
      Exception exception) {
    boolean badInput = exception instanceof InvalidOrderException;
    metrics.deadLettered();
    logOutcome(context, exception, badInput);
    return List.of(deadLetter(key, value, headers, timestamp, context, exception, !badInput));
  }

  private static void logOutcome(
      ErrorHandlerContext context, Exception exception, boolean badInput) {
    if (badInput) {
      INVALID_ORDER.warn(
          context.topic(), context.partition(), context.offset(), exception.getMessage());
    } else {
      log.error(
          "Unexpected error on a record; dead-lettered it and stopping. topic=[{}]"
              + " partition=[{}] offset=[{}]",
          context.topic(),
          context.partition(),
          context.offset(),
          exception);
    }
  }

  private ProducerRecord<byte[], byte[]> deadLetter(
      byte[] key,
      byte[] value,
      Headers original,
      long timestamp,
      ErrorHandlerContext context,
      Exception exception,
      boolean withStackTrace) {
    Headers headers = new RecordHeaders(original == null ? new Header[0] : original.toArray());
    add(headers, HEADER_EXCEPTION, exception.getClass().getName());
    add(headers, HEADER_MESSAGE, String.valueOf(exception.getMessage()));
    if (withStackTrace) {
      StringWriter trace = new StringWriter();
      exception.printStackTrace(new PrintWriter(trace));
      add(headers, HEADER_STACKTRACE, trace.toString());
    }
    add(headers, HEADER_TOPIC, String.valueOf(context.topic()));
    add(headers, HEADER_PARTITION, Integer.toString(context.partition()));
    add(headers, HEADER_OFFSET, Long.toString(context.offset()));
    long notInTheFuture = Math.min(timestamp, System.currentTimeMillis());
    return new ProducerRecord<>(deadLetterTopic, null, notInTheFuture, key, value, headers);
  }

  private static void add(Headers headers, String key, String value) {
    headers.add(key, value.getBytes(StandardCharsets.UTF_8));
  }
}
