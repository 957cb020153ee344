package dev.spanlinks.streams;

import dev.spanlinks.streams.trace.internals.KafkaHeadersGetter;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.math.BigDecimal;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * The first step of every linked stream: reads what spanlinks needs of a record of the user's type
 * with their {@link RecordReader}, holds it to the rules of {@link BatchedRecord} and to the {@link
 * WriteLimits}, reads the span context of the request that produced it from its headers, notes
 * where it was read from, and forwards it keyed by its batch key at its event time. A record that
 * breaks a rule throws {@link RejectedRecordException}: the dead-letter handler sends it to the
 * dead-letter topic. Stateless.
 *
 * <p>Extraction starts from {@link Context#root()}: whatever is current on the stream thread (say,
 * an agent's per-record span) must never leak into the record's link. A missing or malformed {@code
 * traceparent} is not an error: the record is batched and counted as unlinked.
 */
final class CaptureRecordProcessor<K, V> extends ContextualProcessor<K, V, String, CapturedRecord> {
  private final RecordReader<K, V> reader;
  private final WriteLimits limits;
  private final TextMapPropagator propagator;
  private final boolean positionsMarked;

  /**
   * @param limits null when every record was admitted upstream (spanlinks' own topology, before its
   *     repartition)
   * @param positionsMarked true when records arrive through a repartition after {@link
   *     SourcePosition#marker()}: their input position is in its headers, which are then removed
   */
  CaptureRecordProcessor(
      RecordReader<K, V> reader,
      WriteLimits limits,
      TextMapPropagator propagator,
      boolean positionsMarked) {
    this.reader = reader;
    this.limits = limits;
    this.propagator = propagator;
    this.positionsMarked = positionsMarked;
  }

  /** What the reader read of one record, held to the rules, at its event time. */
  record Checked(BatchedRecord read, BigDecimal sum, long eventTimeMs) {}

  /**
   * Reads {@code record} with {@code reader} and holds what it read to the rules of {@link
   * BatchedRecord}.
   *
   * @throws RejectedRecordException naming the first rule it breaks
   */
  static <K, V> Checked check(RecordReader<K, V> reader, K key, V value, long timestamp) {
    BatchedRecord read = reader.read(key, value, timestamp);
    if (read == null) {
      throw new RejectedRecordException("the record reader returned no record");
    }
    if (read.id() != null
        && (read.id().isBlank() || read.id().length() > BatchedRecord.MAX_ID_CHARS)) {
      throw new RejectedRecordException(
          "the record id must be 1 to " + BatchedRecord.MAX_ID_CHARS + " characters");
    }
    if (read.batchKey().isBlank()) {
      throw new RejectedRecordException("the batch key is empty");
    }
    if (read.sumKey() != null && read.sumKey().length() > BatchedRecord.MAX_KEY_CHARS) {
      throw new RejectedRecordException(
          "the sum key is longer than " + BatchedRecord.MAX_KEY_CHARS + " characters");
    }
    checkLinkAttributes(read.linkAttributes());
    BigDecimal sum =
        read.sum() == null ? BigDecimal.ZERO : BatchedRecord.checkedSum(read.sum(), "the sum");
    long eventTime =
        read.eventTime() == null
            ? timestamp
            : BatchedRecord.checkedTimestamp(read.eventTime(), "the event time").toEpochMilli();
    return new Checked(read, sum, eventTime);
  }

  @Override
  public void process(Record<K, V> record) {
    DeferredRejection.throwIfRejected(record.headers());
    Checked checked = check(reader, record.key(), record.value(), record.timestamp());
    BatchedRecord read = checked.read();
    BigDecimal sum = checked.sum();
    long eventTime = checked.eventTimeMs();
    if (limits != null) {
      limits.admit(read.batchKey(), eventTime, record.headers(), context().currentSystemTimeMs());
    }
    Context extracted =
        propagator.extract(Context.root(), record.headers(), KafkaHeadersGetter.INSTANCE);
    SpanContext spanContext = Span.fromContext(extracted).getSpanContext();
    // Records in process() always come from a topic, so the metadata is always present.
    RecordMetadata metadata = context().recordMetadata().orElseThrow();
    SourcePosition source = new SourcePosition(metadata.partition(), metadata.offset());
    Record<K, V> original = record;
    if (positionsMarked) {
      source = SourcePosition.read(record.headers()).orElse(source);
      original = record.withHeaders(SourcePosition.withoutPosition(record.headers()));
    }
    Headers headers = original.headers();
    CapturedRecord captured =
        new CapturedRecord(
            // A record without an id of its own: its input position is one, the same on
            // redelivery.
            read.id() == null ? source.id() : read.id(),
            read.sumKey() == null ? CapturedRecord.NO_SUM : read.sumKey(),
            sum,
            read.linkAttributes(),
            spanContext,
            source.partition(),
            source.offset(),
            original);
    context().forward(new Record<>(read.batchKey(), captured, eventTime, headers));
  }

  /** The limits of {@link BatchedRecord#linkAttributes()}: they bound each record's state. */
  private static void checkLinkAttributes(Attributes attributes) {
    if (attributes.size() > BatchedRecord.MAX_LINK_ATTRIBUTES) {
      throw new RejectedRecordException(
          "the record has "
              + attributes.size()
              + " link attributes, more than "
              + BatchedRecord.MAX_LINK_ATTRIBUTES);
    }
    attributes.forEach(
        (key, value) -> {
          if (key.getKey().length() > BatchedRecord.MAX_KEY_CHARS) {
            throw new RejectedRecordException(
                "a link attribute key is longer than "
                    + BatchedRecord.MAX_KEY_CHARS
                    + " characters");
          }
          switch (key.getType()) {
            case BOOLEAN, LONG, DOUBLE -> {}
            case STRING -> {
              if (((String) value).length() > BatchedRecord.MAX_VALUE_CHARS) {
                throw new RejectedRecordException(
                    "link attribute "
                        + key.getKey()
                        + " is longer than "
                        + BatchedRecord.MAX_VALUE_CHARS
                        + " characters");
              }
            }
            default ->
                throw new RejectedRecordException(
                    "link attribute "
                        + key.getKey()
                        + " is an array: links take string, boolean, long and double values");
          }
        });
  }
}
