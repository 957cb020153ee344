package dev.spanlinks.streams;

import dev.spanlinks.streams.model.Order;
import org.apache.kafka.streams.processor.api.ContextualFixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * The edge of the orders topology, before anything is written for an order (the repartition by key
 * comes after it): holds each order to the {@link WriteLimits}, and refuses one whose writes a
 * broker refused before ({@link RefusedWrites}). A refused order throws {@link
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
    limits.admit(
        record.key(), record.timestamp(), record.headers(), context().currentSystemTimeMs());
    context().forward(record);
  }
}
