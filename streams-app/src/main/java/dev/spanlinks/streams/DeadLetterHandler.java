package dev.spanlinks.streams;

import dev.spanlinks.streams.model.InvalidOrderException;
import dev.spanlinks.streams.trace.SpanlinksMetrics;
import io.opentelemetry.api.OpenTelemetry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends records that are not valid orders to the dead-letter topic through Kafka Streams' own
 * dead-letter-queue support (KIP-1034): the handler returns the dead-letter record, and Kafka
 * Streams produces it within the task's transaction.
 *
 * <p>The dead-letter record keeps the original key, value, timestamp and headers, and adds the
 * standard {@code __streams.errors.*} headers; {@code __streams.errors.message} is the reason. An
 * {@link InvalidOrderException} is bad input: processing resumes. Any other exception is a bug: the
 * record is still dead-lettered, then the application stops.
 */
public final class DeadLetterHandler implements DeserializationExceptionHandler {
  static final String HEADER_EXCEPTION = "__streams.errors.exception";
  static final String HEADER_MESSAGE = "__streams.errors.message";
  static final String HEADER_STACKTRACE = "__streams.errors.stacktrace";
  static final String HEADER_TOPIC = "__streams.errors.topic";
  static final String HEADER_PARTITION = "__streams.errors.partition";
  static final String HEADER_OFFSET = "__streams.errors.offset";

  private static final Logger log = LoggerFactory.getLogger(DeadLetterHandler.class);

  /**
   * Where the handler finds the application's OpenTelemetry instance, to count dead letters: Kafka
   * Streams hands the handler its configuration, and live objects pass through it unchanged.
   */
  public static final String OPEN_TELEMETRY_CONFIG = "spanlinks.internal.opentelemetry";

  private String deadLetterTopic;
  private SpanlinksMetrics metrics;

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
    metrics =
        new SpanlinksMetrics(
            openTelemetry instanceof OpenTelemetry given ? given : OpenTelemetry.noop());
  }

  @Override
  public Response handleError(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    boolean badInput = exception instanceof InvalidOrderException;
    ProducerRecord<byte[], byte[]> deadLetter = deadLetter(record, exception, !badInput);
    metrics.deadLettered();
    if (badInput) {
      log.warn(
          "Dead-lettering invalid order. topic=[{}] partition=[{}] offset=[{}] reason=[{}]",
          record.topic(),
          record.partition(),
          record.offset(),
          exception.getMessage());
      return Response.resume(List.of(deadLetter));
    }
    log.error(
        "Unexpected error reading a record; dead-lettered it and stopping. topic=[{}]"
            + " partition=[{}] offset=[{}]",
        record.topic(),
        record.partition(),
        record.offset(),
        exception);
    return Response.fail(List.of(deadLetter));
  }

  private ProducerRecord<byte[], byte[]> deadLetter(
      ConsumerRecord<byte[], byte[]> record, Exception exception, boolean withStackTrace) {
    Headers headers = new RecordHeaders(record.headers().toArray());
    add(headers, HEADER_EXCEPTION, exception.getClass().getName());
    add(headers, HEADER_MESSAGE, String.valueOf(exception.getMessage()));
    if (withStackTrace) {
      StringWriter trace = new StringWriter();
      exception.printStackTrace(new PrintWriter(trace));
      add(headers, HEADER_STACKTRACE, trace.toString());
    }
    add(headers, HEADER_TOPIC, record.topic());
    add(headers, HEADER_PARTITION, Integer.toString(record.partition()));
    add(headers, HEADER_OFFSET, Long.toString(record.offset()));
    return new ProducerRecord<>(
        deadLetterTopic, null, record.timestamp(), record.key(), record.value(), headers);
  }

  private static void add(Headers headers, String key, String value) {
    headers.add(key, value.getBytes(StandardCharsets.UTF_8));
  }
}
