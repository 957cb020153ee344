package dev.spanlinks.streams.state;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import java.math.BigDecimal;
import java.util.Objects;

/**
 * What a batch keeps of one order until its window closes: the few fields the batch summary and the
 * span link need. One small entry per order (never a growing list) keeps state writes linear.
 *
 * @param spanContext the order's span context as it arrived; {@link SpanContext#getInvalid()} when
 *     the order had no usable trace context (it is then counted as unlinked)
 * @param duplicates how many more times the same order id arrived in the same window
 * @param linkAttributes the record's own attributes for its span link ({@link
 *     dev.spanlinks.streams.BatchedRecord#linkAttributes()}); empty for spanlinks' own orders
 */
public record Contribution(
    String orderId,
    long eventTimeMs,
    int partition,
    long offset,
    BigDecimal amount,
    String currency,
    SpanContext spanContext,
    int duplicates,
    Attributes linkAttributes) {

  /** A contribution with no link attributes of the record's own. */
  public Contribution(
      String orderId,
      long eventTimeMs,
      int partition,
      long offset,
      BigDecimal amount,
      String currency,
      SpanContext spanContext,
      int duplicates) {
    this(
        orderId,
        eventTimeMs,
        partition,
        offset,
        amount,
        currency,
        spanContext,
        duplicates,
        Attributes.empty());
  }

  public Contribution {
    Objects.requireNonNull(linkAttributes, "linkAttributes");
    Objects.requireNonNull(orderId, "orderId");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(currency, "currency");
    Objects.requireNonNull(spanContext, "spanContext");
  }

  /** True when the order carried a valid trace context, so it becomes a span link. */
  public boolean linked() {
    return spanContext.isValid();
  }
}
