package dev.spanlinks.streams;

import dev.spanlinks.streams.model.InvalidOrderException;
import dev.spanlinks.streams.model.Order;
import dev.spanlinks.streams.model.internals.InputFormat;
import dev.spanlinks.streams.model.internals.OrderJson;
import io.opentelemetry.api.common.Attributes;
import java.math.BigDecimal;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Turns a record of the user's type into an order keyed by its batch key, at its event time, with
 * its headers: the first step of {@link LinkedWindows}. What the reader returns is held to the
 * rules of spanlinks' own orders and to the {@link WriteLimits}; a record that breaks one goes to
 * the dead-letter topic.
 */
final class ReadRecordProcessor<K, V> extends ContextualProcessor<K, V, String, Order> {
  private final RecordReader<K, V> reader;
  private final WriteLimits limits;

  ReadRecordProcessor(RecordReader<K, V> reader, WriteLimits limits) {
    this.reader = reader;
    this.limits = limits;
  }

  @Override
  public void process(Record<K, V> record) {
    BatchedRecord read = reader.read(record.key(), record.value(), record.timestamp());
    if (read == null) {
      throw new InvalidOrderException("the record reader returned no record");
    }
    if (read.id().isBlank() || read.id().length() > OrderJson.MAX_ID_LENGTH) {
      throw new InvalidOrderException(
          "the record id must be 1 to " + OrderJson.MAX_ID_LENGTH + " characters");
    }
    if (read.batchKey().isBlank()) {
      throw new InvalidOrderException("the batch key is empty");
    }
    if (read.sumKey() != null && read.sumKey().length() > BatchedRecord.MAX_KEY_CHARS) {
      throw new InvalidOrderException(
          "the sum key is longer than " + BatchedRecord.MAX_KEY_CHARS + " characters");
    }
    checkLinkAttributes(read.linkAttributes());
    BigDecimal sum = read.sum() == null ? BigDecimal.ZERO : OrderJson.monetaryAmount(read.sum());
    long eventTime =
        read.eventTime() == null
            ? record.timestamp()
            : OrderJson.kafkaTimestamp(read.eventTime(), "the event time").toEpochMilli();
    Order order =
        new Order(
            read.id(),
            null,
            null,
            sum,
            read.sumKey() == null ? InputFormat.NO_SUM : read.sumKey(),
            read.eventTime(),
            null,
            read.linkAttributes());
    limits.admit(read.batchKey(), eventTime, record.headers(), context().currentSystemTimeMs());
    context().forward(record.withKey(read.batchKey()).withValue(order).withTimestamp(eventTime));
  }

  /** The limits of {@link BatchedRecord#linkAttributes()}: they bound each record's state. */
  private static void checkLinkAttributes(Attributes attributes) {
    if (attributes.size() > BatchedRecord.MAX_LINK_ATTRIBUTES) {
      throw new InvalidOrderException(
          "the record has "
              + attributes.size()
              + " link attributes, more than "
              + BatchedRecord.MAX_LINK_ATTRIBUTES);
    }
    attributes.forEach(
        (key, value) -> {
          if (key.getKey().length() > BatchedRecord.MAX_KEY_CHARS) {
            throw new InvalidOrderException(
                "a link attribute key is longer than "
                    + BatchedRecord.MAX_KEY_CHARS
                    + " characters");
          }
          switch (key.getType()) {
            case BOOLEAN, LONG, DOUBLE -> {}
            case STRING -> {
              if (((String) value).length() > BatchedRecord.MAX_VALUE_CHARS) {
                throw new InvalidOrderException(
                    "link attribute "
                        + key.getKey()
                        + " is longer than "
                        + BatchedRecord.MAX_VALUE_CHARS
                        + " characters");
              }
            }
            default ->
                throw new InvalidOrderException(
                    "link attribute "
                        + key.getKey()
                        + " is an array: links take string, boolean, long and double values");
          }
        });
  }
}
