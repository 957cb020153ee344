package dev.spanlinks.streams;

import dev.spanlinks.streams.model.InvalidOrderException;
import dev.spanlinks.streams.model.Order;
import dev.spanlinks.streams.model.internals.InputFormat;
import dev.spanlinks.streams.trace.internals.KafkaHeadersGetter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Reads the span context of the request that created each order from the record headers, with the
 * configured propagator, and notes where the record came from. Stateless.
 *
 * <p>Extraction starts from {@link Context#root()}: whatever is current on the stream thread (say,
 * an agent's per-record span) must never leak into the order's link. A missing or malformed {@code
 * traceparent} is not an error: the order is batched and counted as unlinked.
 */
final class CaptureOrderProcessor
    extends ContextualProcessor<String, Order, String, CapturedOrder> {
  private final TextMapPropagator propagator;
  private final long maxFutureMs;
  private final boolean repartitioned;

  /**
   * @param maxFutureMs how far ahead of the wall clock an event time may be: {@link
   *     AdmitOrderProcessor} has checked it already in spanlinks' own topology ({@code
   *     Long.MAX_VALUE} then), not in a user's ({@link LinkedWindows})
   * @param repartitioned true when orders arrive through the repartition by batch key: their input
   *     position is then in the {@link SourcePosition} headers
   */
  CaptureOrderProcessor(TextMapPropagator propagator, long maxFutureMs, boolean repartitioned) {
    this.propagator = propagator;
    this.maxFutureMs = maxFutureMs;
    this.repartitioned = repartitioned;
  }

  /**
   * @throws InvalidOrderException for an event time too far ahead of the wall clock; the processing
   *     exception handler dead-letters the record
   */
  @Override
  public void process(Record<String, Order> record) {
    long wallClockMs = context().currentSystemTimeMs();
    if (record.timestamp() > wallClockMs && record.timestamp() - wallClockMs > maxFutureMs) {
      throw new InvalidOrderException(
          "event time is more than " + maxFutureMs + " ms ahead of the clock");
    }
    Context extracted =
        propagator.extract(Context.root(), record.headers(), KafkaHeadersGetter.INSTANCE);
    SpanContext spanContext = Span.fromContext(extracted).getSpanContext();
    // Records in process() always come from a topic, so the metadata is always present.
    RecordMetadata metadata = context().recordMetadata().orElseThrow();
    SourcePosition source = new SourcePosition(metadata.partition(), metadata.offset());
    Record<String, Order> order = record;
    if (repartitioned) {
      source = SourcePosition.read(record.headers()).orElse(source);
      order = record.withHeaders(SourcePosition.withoutPosition(record.headers()));
    }
    Order value = record.value();
    if (value.orderId().equals(InputFormat.NO_ID)) {
      // A format whose records carry no id: their input position is one, the same on redelivery.
      value = value.withOrderId(InputFormat.positionId(source.partition(), source.offset()));
    }
    context()
        .forward(
            order.withValue(
                new CapturedOrder(value, spanContext, source.partition(), source.offset())));
  }
}
