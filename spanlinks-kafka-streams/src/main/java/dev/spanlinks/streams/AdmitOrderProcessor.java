package dev.spanlinks.streams;

import dev.spanlinks.streams.model.InvalidOrderException;
import dev.spanlinks.streams.model.Order;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.processor.api.ContextualFixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * The edge of the orders topology, before anything is written for an order (the repartition by key
 * comes after it): holds each order to the {@link WriteLimits}, and refuses one whose writes a
 * broker refused before ({@link RefusedWrites}) or that has no event time (a negative record
 * timestamp and no createdAt: {@link OrderTimestampExtractor}). A refused order throws {@link
 * dev.spanlinks.streams.model.InvalidOrderException}, and the processing exception handler
 * dead-letters it. Stateless.
 */
final class AdmitOrderProcessor extends ContextualFixedKeyProcessor<String, Order, Order> {
  private final WriteLimits limits;
  private final String applicationId;

  AdmitOrderProcessor(WriteLimits limits, String applicationId) {
    this.limits = limits;
    this.applicationId = applicationId;
  }

  @Override
  public void process(FixedKeyRecord<String, Order> record) {
    RefusedWrites.check(applicationId, context());
    Header negative =
        record.headers().lastHeader(OrderTimestampExtractor.NEGATIVE_TIMESTAMP_HEADER);
    if (negative != null) {
      throw new InvalidOrderException(
          "the record timestamp is negative ("
              + new String(negative.value(), StandardCharsets.UTF_8)
              + ") and the order has no createdAt: no event time");
    }
    limits.admit(
        record.key(), record.timestamp(), record.headers(), context().currentSystemTimeMs());
    context().forward(record);
  }
}
