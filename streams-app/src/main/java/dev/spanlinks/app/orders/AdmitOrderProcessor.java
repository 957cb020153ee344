package dev.spanlinks.app.orders;

import dev.spanlinks.streams.DeferredRejection;
import dev.spanlinks.streams.RejectedRecordException;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.processor.api.ContextualFixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * The edge of the orders topology: refuses a record its deserializers refused ({@link
 * DeferredRejection}: its key or value is null then) and an order that has no event time (a
 * negative record timestamp and no createdAt: {@link OrderTimestampExtractor}) by throwing {@link
 * RejectedRecordException}, and the dead-letter handler dead-letters it. The brokers' limits are
 * the library's to check ({@link dev.spanlinks.streams.LinkedWindows}). Stateless.
 */
final class AdmitOrderProcessor extends ContextualFixedKeyProcessor<String, Order, Order> {
  @Override
  public void process(FixedKeyRecord<String, Order> record) {
    DeferredRejection.throwIfRejected(record.headers());
    Header negative =
        record.headers().lastHeader(OrderTimestampExtractor.NEGATIVE_TIMESTAMP_HEADER);
    if (negative != null) {
      throw new RejectedRecordException(
          "the record timestamp is negative ("
              + new String(negative.value(), StandardCharsets.UTF_8)
              + ") and the order has no createdAt: no event time");
    }
    context().forward(record);
  }
}
