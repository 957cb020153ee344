package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.trace.SpanExportTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/**
 * The failure boundary, one call at a time: which failures dead-letter a record and go on, which
 * stop the thread, and that a dead letter always fits the record limit and the broker's clock.
 */
class DeadLetterHandlerTest {
  private static final int LIMIT = 262_144;

  @Test
  void shouldResumeOnAnyFailureOfOneRecordWhileReadingIt() {
    DeadLetterHandler handler = handler("spanlinks-dlt-read");
    for (Exception failure :
        List.of(
            new RejectedRecordException("bad"),
            new ArithmeticException("BigInteger would overflow supported range"),
            new IllegalStateException("a reader's bug"),
            new NullPointerException())) {
      DeserializationExceptionHandler.Response response =
          handler.handleError(context("orders", 7), input(new byte[10], new byte[10]), failure);
      assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
      assertThat(response.deadLetterQueueRecords()).hasSize(1);
      assertThat(
              header(
                  response.deadLetterQueueRecords().get(0).headers(), "__streams.errors.exception"))
          .isEqualTo(failure.getClass().getName());
      String stackTrace =
          header(
              response.deadLetterQueueRecords().get(0).headers(),
              DeadLetterHandler.HEADER_STACKTRACE);
      if (failure instanceof RejectedRecordException) {
        assertThat(stackTrace).as("bad input is ordinary: no stack trace").isNull();
      } else {
        assertThat(stackTrace).as("a bug's dead letter carries its stack trace").isNotNull();
      }
    }
  }

  @Test
  void shouldResumeOnARecordsOwnFailureAndStopOnlyOnTheInfrastructure() {
    DeadLetterHandler handler = handler("spanlinks-dlt-process");
    Record<String, String> record = new Record<>("k", "v", 1L);
    ErrorHandlerContext fromInput = context("orders", 3);
    assertThat(handler.handleError(fromInput, record, new ArithmeticException("overflow")).result())
        .isEqualTo(ProcessingExceptionHandler.Result.RESUME);
    assertThat(handler.handleError(fromInput, record, new RejectedRecordException("bad")).result())
        .isEqualTo(ProcessingExceptionHandler.Result.RESUME);
    assertThat(
            handler
                .handleError(fromInput, record, new ProcessorStateException("disk full"))
                .result())
        .as("a state store fault is not the record's")
        .isEqualTo(ProcessingExceptionHandler.Result.FAIL);
    assertThat(
            handler.handleError(fromInput, record, new SpanExportTimeoutException(60_000)).result())
        .isEqualTo(ProcessingExceptionHandler.Result.FAIL);
  }

  @Test
  void shouldDeadLetterAWriteTheBrokerRefuses() {
    DeadLetterHandler handler = handler("spanlinks-dlt-produce");
    ProducerRecord<byte[], byte[]> late =
        new ProducerRecord<>("orders-late", null, 5L, new byte[3], new byte[2_000_000], null);
    ProductionExceptionHandler.Response response =
        handler.handleError(context("orders", 42), late, new RecordTooLargeException("too big"));
    assertThat(response.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
    ProducerRecord<byte[], byte[]> deadLetter = response.deadLetterQueueRecords().get(0);
    assertThat(deadLetter.topic()).isEqualTo("orders-dlq");
    assertThat(WriteLimits.recordBytes(deadLetter.key(), deadLetter.value(), deadLetter.headers()))
        .isLessThanOrEqualTo(LIMIT);
    assertThat(header(deadLetter.headers(), DeadLetterHandler.HEADER_TRUNCATED))
        .isEqualTo("value=2000000");
    assertThat(header(deadLetter.headers(), DeadLetterHandler.HEADER_MESSAGE)).isEqualTo("too big");

    ProducerRecord<byte[], byte[]> refusedDeadLetter =
        new ProducerRecord<>("orders-dlq", null, 5L, new byte[3], new byte[3], null);
    ProductionExceptionHandler.Response dropped =
        handler.handleError(
            context("orders", 43), refusedDeadLetter, new InvalidTimestampException("old"));
    assertThat(dropped.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
    assertThat(dropped.deadLetterQueueRecords()).as("no dead letter of a dead letter").isEmpty();

    assertThat(
            handler.handleError(context("orders", 44), late, new TimeoutException("slow")).result())
        .isEqualTo(ProductionExceptionHandler.Result.RETRY);
    assertThat(
            handler
                .handleError(context("orders", 45), late, new TopicAuthorizationException("no"))
                .result())
        .isEqualTo(ProductionExceptionHandler.Result.FAIL);
  }

  @Test
  void shouldLeaveARefusedWriteToTheRetryUnderExactlyOnceUnlessItWasNeverSent() {
    Map<String, Object> configs = configs("spanlinks-dlt-eos");
    configs.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    DeadLetterHandler handler = new DeadLetterHandler();
    handler.configure(configs);
    ProducerRecord<byte[], byte[]> late =
        new ProducerRecord<>("orders-late", null, 5L, new byte[3], new byte[3], null);
    ProductionExceptionHandler.Response response =
        handler.handleError(context("orders", 9), late, new InvalidTimestampException("ahead"));
    assertThat(response.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
    assertThat(response.deadLetterQueueRecords())
        .as("the transaction is doomed: a dead letter in it would fail too")
        .isEmpty();

    ProductionExceptionHandler.Response notSent =
        handler.handleError(
            context("orders", 10), late, new RefusedBeforeSendException("refused before"));
    assertThat(notSent.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
    assertThat(notSent.deadLetterQueueRecords())
        .as("the producer never saw it: the transaction is good, the dead letter goes in it")
        .singleElement()
        .satisfies(
            deadLetter -> {
              assertThat(deadLetter.topic()).isEqualTo("orders-dlq");
              assertThat(header(deadLetter.headers(), DeadLetterHandler.HEADER_MESSAGE))
                  .isEqualTo("refused before");
            });
    assertThat(
            DeadLetterHandler.isRefusal(
                new org.apache.kafka.streams.errors.StreamsException(
                    "commit failed",
                    new org.apache.kafka.common.KafkaException(
                        new RecordTooLargeException("too big")))))
        .isTrue();
    assertThat(DeadLetterHandler.isRefusal(new ProcessorStateException("disk"))).isFalse();
  }

  @Test
  void shouldCutADeadLetterToTheLimitKeepingItsReasons() {
    Headers original = new RecordHeaders();
    original.add("traceparent", "00-abc".getBytes(StandardCharsets.UTF_8));
    original.add("x-blob", new byte[LIMIT]);
    Headers reasons = new RecordHeaders();
    reasons.add(DeadLetterHandler.HEADER_MESSAGE, "why".getBytes(StandardCharsets.UTF_8));
    for (int keyBytes : new int[] {0, 10, LIMIT, 2 * LIMIT}) {
      for (int valueBytes : new int[] {0, 10, LIMIT - 1000, 3 * LIMIT}) {
        DeadLetterHandler.Parts parts =
            DeadLetterHandler.fitted(
                original, reasons, new byte[keyBytes], new byte[valueBytes], LIMIT);
        assertThat(WriteLimits.recordBytes(parts.key(), parts.value(), parts.headers()))
            .as("key %s, value %s", keyBytes, valueBytes)
            .isLessThanOrEqualTo(LIMIT);
        assertThat(header(parts.headers(), DeadLetterHandler.HEADER_MESSAGE)).isEqualTo("why");
        assertThat(header(parts.headers(), DeadLetterHandler.HEADER_TRUNCATED))
            .contains("headers=2");
      }
    }
    DeadLetterHandler.Parts small =
        DeadLetterHandler.fitted(original, reasons, new byte[3], new byte[3], 4 * LIMIT);
    assertThat(small.headers().lastHeader(DeadLetterHandler.HEADER_TRUNCATED)).isNull();
    assertThat(small.headers().lastHeader("x-blob")).isNotNull();
  }

  @Test
  void shouldStampADeadLetterWithATimeTheBrokerTakes() {
    Map<String, Object> configs = configs("spanlinks-dlt-time");
    configs.put(BatchConfig.MAX_PAST_MS_CONFIG, "86400000");
    DeadLetterHandler handler = new DeadLetterHandler();
    handler.configure(configs);
    long now = 1_800_000_000_000L;
    assertThat(handler.writableTimestamp(-1, now)).isEqualTo(now - 86_400_000);
    assertThat(handler.writableTimestamp(Long.MAX_VALUE, now)).isEqualTo(now);
    assertThat(handler.writableTimestamp(now - 1_000, now)).isEqualTo(now - 1_000);
    assertThat(handler("spanlinks-dlt-time2").writableTimestamp(Long.MIN_VALUE, now)).isZero();

    ProducerRecord<byte[], byte[]> refused =
        new ProducerRecord<>("orders-late", null, 7L, new byte[1], new byte[1], null);
    ProducerRecord<byte[], byte[]> deadLetter =
        handler
            .handleError(context("orders", 1), refused, new RefusedBeforeSendException("too old"))
            .deadLetterQueueRecords()
            .get(0);
    assertThat(header(deadLetter.headers(), DeadLetterHandler.HEADER_TIMESTAMP))
        .as("the record's own timestamp, whatever the dead letter is stamped with")
        .isEqualTo("7");
  }

  private static DeadLetterHandler handler(String applicationId) {
    DeadLetterHandler handler = new DeadLetterHandler();
    handler.configure(configs(applicationId));
    return handler;
  }

  private static Map<String, Object> configs(String applicationId) {
    Map<String, Object> configs = new HashMap<>();
    configs.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "orders-dlq");
    configs.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    configs.put(BatchConfig.RECORD_MAX_BYTES_CONFIG, Integer.toString(LIMIT));
    return configs;
  }

  private static ConsumerRecord<byte[], byte[]> input(byte[] key, byte[] value) {
    return new ConsumerRecord<>("orders", 0, 7, key, value);
  }

  private static String header(Headers headers, String key) {
    Header header = headers.lastHeader(key);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static ErrorHandlerContext context(String topic, long offset) {
    return new ErrorHandlerContext() {
      @Override
      public String topic() {
        return topic;
      }

      @Override
      public int partition() {
        return 0;
      }

      @Override
      public long offset() {
        return offset;
      }

      @Override
      public Headers headers() {
        return new RecordHeaders();
      }

      @Override
      public String processorNodeId() {
        return "capture-order";
      }

      @Override
      public TaskId taskId() {
        return new TaskId(0, 0);
      }

      @Override
      public long timestamp() {
        return 1L;
      }

      @Override
      public byte[] sourceRawKey() {
        return new byte[] {1};
      }

      @Override
      public byte[] sourceRawValue() {
        return new byte[] {2};
      }
    };
  }
}
