package dev.spanlinks.streams;

import dev.spanlinks.streams.model.Order;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.processor.api.ContextualFixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * The edge of the orders topology, before anything is written for an order (the repartition by key
 * comes after it): holds each order to the {@link WriteLimits}, and refuses one that has no event
 * time (a negative record timestamp and no createdAt: {@link OrderTimestampExtractor}). A refused
 * order throws {@link dev.spanlinks.streams.InvalidRecordException}, and the processing exception
 * handler dead-letters it. Stateless.
 */
final class AdmitOrderProcessor extends ContextualFixedKeyProcessor<String, Order, Order> {
  private final WriteLimits limits;

  AdmitOrderProcessor(WriteLimits limits) {
    this.limits = limits;
  }

  @Override
  public void process(FixedKeyRecord<String, Order> record) {
    Header negative =
        record.headers().lastHeader(OrderTimestampExtractor.NEGATIVE_TIMESTAMP_HEADER);
    if (negative != null) {
      throw new InvalidRecordException(
          "the record timestamp is negative ("
              + new String(negative.value(), StandardCharsets.UTF_8)
              + ") and the order has no createdAt: no event time");
    }
    limits.admit(
        record.key(), record.timestamp(), record.headers(), context().currentSystemTimeMs());
    context().forward(record);
  }
}
