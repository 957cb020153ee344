package dev.spanlinks.app.orders;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time of an order: its {@code createdAt} when present and valid, else the record timestamp.
 * A record its deserializers refused never reaches it ({@link
 * dev.spanlinks.streams.DeferredRejection#timestampExtractor}).
 *
 * <p>A negative record timestamp (a record written in the oldest message format, or by a client
 * that sent -1) would make Kafka Streams skip the record with only a log line, and an extractor
 * cannot dead-letter. So such a record gets the partition time (or 0) and the header {@value
 * #NEGATIVE_TIMESTAMP_HEADER}, and {@code admit-order} sends it to the dead-letter topic.
 */
final class OrderTimestampExtractor implements TimestampExtractor {
  /** On a record whose own timestamp was negative: that timestamp, in decimal. */
  static final String NEGATIVE_TIMESTAMP_HEADER = "spanlinks.negative.timestamp";

  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    if (record.value() instanceof Order order && order.createdAt() != null) {
      return order.createdAt().toEpochMilli();
    }
    if (record.timestamp() >= 0) {
      return record.timestamp();
    }
    record
        .headers()
        .add(
            NEGATIVE_TIMESTAMP_HEADER,
            Long.toString(record.timestamp()).getBytes(StandardCharsets.UTF_8));
    return Math.max(0, partitionTime);
  }
}
