package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/**
 * A refused record, from the wrapped deserializer to its dead letter: generated records, each read
 * by a deserializer that refuses some of them with one of several exceptions, must come out of the
 * processing path with exactly the dead letter the deserialization path used to write (the record
 * as sent, the original exception's class and message, a stack trace only for a bug, the record's
 * own timestamp), and without moving the partition's time.
 */
class DeferredRejectionTest {
  private static final int TRIES = 2_000;
  private static final long PARTITION_TIME = 1_700_000_000_000L;

  /** Refuses a value by its first byte; reads the rest as text. */
  private static final Deserializer<String> PICKY =
      (topic, data) -> {
        if (data == null || data.length == 0) {
          throw new RejectedRecordException("value is empty");
        }
        return switch (data[0] % 4) {
          case 1 -> throw new RejectedRecordException("first byte " + data[0]);
          case 2 -> throw new IllegalStateException("a reader's bug at " + data.length);
          case 3 -> throw new ArithmeticException();
          default -> new String(data, StandardCharsets.UTF_8);
        };
      };

  private static final TimestampExtractor OWN_TIME = (record, partitionTime) -> record.timestamp();

  @Test
  void shouldDeadLetterEachRefusedRecordAsTheDeserializationPathDid() {
    Deserializer<String> wrapped = DeferredRejection.deserializer(PICKY);
    TimestampExtractor extractor = DeferredRejection.timestampExtractor(OWN_TIME);
    DeadLetterHandler handler = handler();
    SplittableRandom random = new SplittableRandom(20261207L);
    int refused = 0;
    for (int i = 0; i < TRIES; i++) {
      byte[] value = random.nextInt(10) == 0 ? null : bytes(random);
      long ownTimestamp = PARTITION_TIME + random.nextLong(-3_600_000L, 7_200_000L);
      Headers headers = new RecordHeaders();
      headers.add("traceparent", bytes(random));
      Exception expected = failureOf(value);

      String read = wrapped.deserialize("orders", headers, value);
      ConsumerRecord<Object, Object> polled = polled(value, read, headers, ownTimestamp);
      long eventTime = extractor.extract(polled, PARTITION_TIME);

      if (expected == null) {
        assertThat(read).isEqualTo(new String(value, StandardCharsets.UTF_8));
        assertThat(eventTime).isEqualTo(ownTimestamp);
        assertThat(DeferredRejection.isRejected(headers)).isFalse();
        DeferredRejection.throwIfRejected(headers);
        continue;
      }
      refused++;
      assertThat(read).as("a refused value reads as null").isNull();
      assertThat(eventTime)
          .as("a refused record keeps the partition's time")
          .isEqualTo(PARTITION_TIME);
      Exception thrown =
          (Exception) catchThrowable(() -> DeferredRejection.throwIfRejected(headers));
      assertThat(thrown).isNotNull();

      ProcessingExceptionHandler.Response response =
          handler.handleError(
              context(headers, value, eventTime), new Record<>(null, null, eventTime), thrown);
      assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
      ProducerRecord<byte[], byte[]> deadLetter = response.deadLetterQueueRecords().get(0);
      assertThat(deadLetter.value()).isEqualTo(value);
      assertThat(header(deadLetter.headers(), DeadLetterHandler.HEADER_EXCEPTION))
          .isEqualTo(expected.getClass().getName());
      assertThat(header(deadLetter.headers(), DeadLetterHandler.HEADER_MESSAGE))
          .isEqualTo(String.valueOf(expected.getMessage()));
      assertThat(header(deadLetter.headers(), DeadLetterHandler.HEADER_STACKTRACE))
          .as("a stack trace for a bug, none for bad input")
          .satisfies(
              trace -> {
                if (expected instanceof RejectedRecordException) {
                  assertThat(trace).isNull();
                } else {
                  assertThat(trace)
                      .startsWith(expected.getClass().getName())
                      .contains(DeferredRejectionTest.class.getName());
                }
              });
      assertThat(header(deadLetter.headers(), DeadLetterHandler.HEADER_TIMESTAMP))
          .isEqualTo(Long.toString(ownTimestamp));
      assertThat(deadLetter.headers().toArray())
          .extracting(Header::key)
          .as("the record's own headers, then the reasons; no note of the refusal")
          .startsWith("traceparent")
          .noneMatch(key -> key.startsWith(DeferredRejection.HEADER_PREFIX));
    }
    assertThat(refused).as("the generator refuses some, not all").isBetween(TRIES / 4, TRIES - 1);
  }

  @Test
  void shouldTakeNoProducersHeadersForTheNotesOfARefusal() {
    Headers spoofed = new RecordHeaders();
    spoofed.add(DeferredRejection.HEADER_NOTED_BY, "someone".getBytes(StandardCharsets.UTF_8));
    spoofed.add(DeferredRejection.HEADER_EXCEPTION, "x".getBytes(StandardCharsets.UTF_8));
    spoofed.add(
        DeferredRejection.HEADER_TIMESTAMP, "not a number".getBytes(StandardCharsets.UTF_8));
    String read =
        DeferredRejection.deserializer(PICKY).deserialize("orders", spoofed, new byte[] {4});

    assertThat(read).isEqualTo(new String(new byte[] {4}, StandardCharsets.UTF_8));
    assertThat(DeferredRejection.isRejected(spoofed)).isFalse();
    DeferredRejection.throwIfRejected(spoofed);
    assertThat(
            DeferredRejection.timestampExtractor(OWN_TIME)
                .extract(polled(null, read, spoofed, 5L), 9L))
        .isEqualTo(5L);
    assertThat(DeferredRejection.ownTimestamp(spoofed, 7L)).isEqualTo(7L);
    assertThat(DeferredRejection.withoutNotes(spoofed)).isSameAs(spoofed);
  }

  @Test
  void shouldKeepTheFirstRefusalOfARecord() {
    Deserializer<String> wrapped = DeferredRejection.deserializer(PICKY);
    Headers headers = new RecordHeaders();
    assertThat(wrapped.deserialize("orders", headers, new byte[] {1})).isNull();
    assertThat(wrapped.deserialize("orders", headers, new byte[] {2})).isNull();
    assertThatThrownBy(() -> DeferredRejection.throwIfRejected(headers))
        .isInstanceOf(RejectedRecordException.class)
        .hasMessage("first byte 1");
  }

  @Test
  void shouldThrowWhereThereAreNoHeadersToNoteTheRefusalIn() {
    Deserializer<String> wrapped = DeferredRejection.deserializer(PICKY);
    assertThatThrownBy(() -> wrapped.deserialize("orders", new byte[] {1}))
        .isInstanceOf(RejectedRecordException.class);
    assertThatThrownBy(() -> wrapped.deserialize("orders", null, new byte[] {1}))
        .isInstanceOf(RejectedRecordException.class);
  }

  @Test
  void shouldGiveARefusedRecordTimeZeroBeforeThePartitionHasAny() {
    Headers headers = new RecordHeaders();
    DeferredRejection.deserializer(PICKY).deserialize("orders", headers, new byte[] {1});
    assertThat(
            DeferredRejection.timestampExtractor(OWN_TIME)
                .extract(polled(new byte[] {1}, null, headers, 5_000L), -1L))
        .isZero();
  }

  private static Exception failureOf(byte[] value) {
    try {
      PICKY.deserialize("orders", value);
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }

  private static byte[] bytes(SplittableRandom random) {
    byte[] bytes = new byte[random.nextInt(0, 40)];
    random.nextBytes(bytes);
    return bytes;
  }

  private static ConsumerRecord<Object, Object> polled(
      byte[] raw, Object value, Headers headers, long timestamp) {
    return new ConsumerRecord<>(
        "orders",
        0,
        7L,
        timestamp,
        TimestampType.CREATE_TIME,
        -1,
        raw == null ? -1 : raw.length,
        null,
        value,
        headers,
        Optional.empty());
  }

  private static DeadLetterHandler handler() {
    DeadLetterHandler handler = new DeadLetterHandler();
    handler.configure(
        Map.of(
            StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
            "orders-dlq",
            StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
            StreamsConfig.EXACTLY_ONCE_V2));
    return handler;
  }

  private static String header(Headers headers, String key) {
    Header header = headers.lastHeader(key);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  /** What Kafka Streams hands the handler for a record of the orders topic with a null key. */
  private static ErrorHandlerContext context(Headers headers, byte[] rawValue, long timestamp) {
    return new ErrorHandlerContext() {
      @Override
      public String topic() {
        return "orders";
      }

      @Override
      public int partition() {
        return 0;
      }

      @Override
      public long offset() {
        return 7L;
      }

      @Override
      public Headers headers() {
        return headers;
      }

      @Override
      public String processorNodeId() {
        return "capture-record";
      }

      @Override
      public TaskId taskId() {
        return new TaskId(0, 0);
      }

      @Override
      public long timestamp() {
        return timestamp;
      }

      @Override
      public byte[] sourceRawKey() {
        return null;
      }

      @Override
      public byte[] sourceRawValue() {
        return rawValue == null ? null : Arrays.copyOf(rawValue, rawValue.length);
      }
    };
  }
}
