package dev.spanlinks.streams;

import dev.spanlinks.streams.model.Order;
import io.opentelemetry.api.trace.SpanContext;

/**
 * An order with what its record told us besides the value: the span context of the request that
 * produced it ({@link SpanContext#getInvalid()} when none) and where it was read from.
 */
record CapturedOrder(Order order, SpanContext spanContext, int partition, long offset) {}
