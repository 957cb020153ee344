package dev.spanlinks.streams;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import java.math.BigDecimal;
import java.util.Objects;
import org.apache.kafka.streams.processor.api.Record;

/**
 * What the close step needs of one record, whatever its type: the fields a batch keeps ({@link
 * dev.spanlinks.streams.state.Contribution}), the span context of the request that produced it
 * ({@link SpanContext#getInvalid()} when none), where it was read from, and the record to send on
 * as it is when its window has already closed.
 *
 * @param id identifies the record across redeliveries; never blank
 * @param sumKey the key of the batch total {@code sum} adds to; {@code ""} for none (the stored
 *     block format's spelling)
 * @param sum never null; zero when the record adds to no total
 * @param late the record the late output gets: the user's own key, value, timestamp and headers
 */
record CapturedRecord(
    String id,
    String sumKey,
    BigDecimal sum,
    Attributes linkAttributes,
    SpanContext spanContext,
    int partition,
    long offset,
    Record<?, ?> late) {
  /** The sum key of a record that adds to no total. */
  static final String NO_SUM = "";

  CapturedRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(sumKey, "sumKey");
    Objects.requireNonNull(sum, "sum");
    Objects.requireNonNull(linkAttributes, "linkAttributes");
    Objects.requireNonNull(spanContext, "spanContext");
    Objects.requireNonNull(late, "late");
  }
}
