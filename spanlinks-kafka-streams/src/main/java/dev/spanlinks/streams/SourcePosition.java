package dev.spanlinks.streams;

import java.nio.ByteBuffer;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * An order's input partition and offset, carried in two headers across the repartition by batch
 * key, so that links name the order's own record, not its copy in the repartition topic. The
 * headers are set before the repartition (replacing any a producer sent) and removed after it.
 */
record SourcePosition(int partition, long offset) {
  static final String PARTITION_HEADER = "spanlinks.source.partition";
  static final String OFFSET_HEADER = "spanlinks.source.offset";

  /** A copy of {@code headers} with the position of the record {@code context} processes. */
  static Headers marked(Headers headers, FixedKeyProcessorContext<?, ?> context) {
    // Records in process() always come from a topic, so the metadata is always present.
    RecordMetadata source = context.recordMetadata().orElseThrow();
    Headers marked = withoutPosition(headers);
    marked.add(PARTITION_HEADER, ByteBuffer.allocate(4).putInt(source.partition()).array());
    marked.add(OFFSET_HEADER, ByteBuffer.allocate(8).putLong(source.offset()).array());
    return marked;
  }

  /** The position the headers carry, if both are there and well formed. */
  static Optional<SourcePosition> read(Headers headers) {
    Header partition = headers.lastHeader(PARTITION_HEADER);
    Header offset = headers.lastHeader(OFFSET_HEADER);
    if (partition == null
        || offset == null
        || partition.value() == null
        || offset.value() == null
        || partition.value().length != 4
        || offset.value().length != 8) {
      return Optional.empty();
    }
    return Optional.of(
        new SourcePosition(
            ByteBuffer.wrap(partition.value()).getInt(),
            ByteBuffer.wrap(offset.value()).getLong()));
  }

  /** The id of a record that has none of its own: where it was read from, which never changes. */
  String id() {
    return partition + "@" + offset;
  }

  /** A copy of the headers without the position headers. */
  static Headers withoutPosition(Headers headers) {
    Headers copy = new RecordHeaders();
    for (Header header : headers) {
      if (!header.key().equals(PARTITION_HEADER) && !header.key().equals(OFFSET_HEADER)) {
        copy.add(header);
      }
    }
    return copy;
  }
}
