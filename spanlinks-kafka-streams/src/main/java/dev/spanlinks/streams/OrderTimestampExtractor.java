package dev.spanlinks.streams;

import dev.spanlinks.streams.model.Order;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time of an order: its {@code createdAt} when present and valid, else the record timestamp.
 * Runs after deserialization, so invalid records never reach it.
 */
final class OrderTimestampExtractor implements TimestampExtractor {
  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    if (record.value() instanceof Order order && order.createdAt() != null) {
      return order.createdAt().toEpochMilli();
    }
    return record.timestamp();
  }
}
