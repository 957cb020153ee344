package dev.spanlinks.streams;

import dev.spanlinks.streams.model.Contribution;
import dev.spanlinks.streams.trace.TraceStates;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The {@value Names#CONTRIBUTIONS_STORE} store: one entry per order of an open window, and its
 * binary key and value formats.
 *
 * <p>Key: {@code window start | batch key | order id}. The window start comes first, sign-flipped
 * and big-endian, so byte order is time order and all windows before a boundary form one range
 * scan; the batch key is length-prefixed, so one batch's entries are contiguous. The order id last
 * makes a redelivered order overwrite its own entry instead of counting twice.
 *
 * <p>Value: a version byte, then the {@link Contribution} fields; the span context as raw bytes (16
 * + 8 + 1) plus the tracestate as it arrived.
 */
final class ContributionStore {
  private static final byte FORMAT_VERSION = 1;

  private ContributionStore() {}

  /** Entry key parts. */
  record Key(long windowStartMs, String batchKey, String orderId) {
    /** The key of the "some order arrived sampled" marker of a batch. */
    static Key sampledMarker(long windowStartMs, String batchKey) {
      return new Key(windowStartMs, batchKey, "");
    }

    boolean isSampledMarker() {
      return orderId.isEmpty();
    }
  }

  /** The value of a marker entry; never read back, only its key matters. */
  static final byte[] MARKER_VALUE = {0};

  static StoreBuilder<KeyValueStore<Bytes, byte[]>> contributionsStore() {
    // No record cache: every key is written once (per order) and deleted once (at close), and a
    // window stays open for many commit intervals, so the cache coalesces nothing, yet its own
    // bookkeeping took about a quarter of the stream thread's samples (profiled end to end): a
    // cache
    // put, a dirty-key flush and a merged cache-and-RocksDB iterator per entry.
    return Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(Names.CONTRIBUTIONS_STORE),
            Serdes.Bytes(),
            Serdes.ByteArray())
        .withCachingDisabled();
  }

  static StoreBuilder<KeyValueStore<String, Long>> windowProgressStore() {
    return Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(Names.WINDOW_PROGRESS_STORE),
        Serdes.String(),
        Serdes.Long());
  }

  /** The smallest key of window {@code windowStartMs}: entries of that window sort after it. */
  static Bytes windowPrefix(long windowStartMs) {
    return Bytes.wrap(ByteBuffer.allocate(8).putLong(windowStartMs ^ Long.MIN_VALUE).array());
  }

  static Bytes key(Key key) {
    byte[] batchKey = key.batchKey().getBytes(StandardCharsets.UTF_8);
    byte[] orderId = key.orderId().getBytes(StandardCharsets.UTF_8);
    ByteBuffer buffer = ByteBuffer.allocate(8 + 4 + batchKey.length + orderId.length);
    buffer.putLong(key.windowStartMs() ^ Long.MIN_VALUE);
    buffer.putInt(batchKey.length).put(batchKey).put(orderId);
    return Bytes.wrap(buffer.array());
  }

  static Key decodeKey(Bytes bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes.get());
    long windowStart = buffer.getLong() ^ Long.MIN_VALUE;
    byte[] batchKey = new byte[buffer.getInt()];
    buffer.get(batchKey);
    byte[] orderId = new byte[buffer.remaining()];
    buffer.get(orderId);
    return new Key(
        windowStart,
        new String(batchKey, StandardCharsets.UTF_8),
        new String(orderId, StandardCharsets.UTF_8));
  }

  static byte[] encodeValue(Contribution contribution) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(96);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT_VERSION);
      out.writeLong(contribution.eventTimeMs());
      out.writeInt(contribution.partition());
      out.writeLong(contribution.offset());
      out.writeUTF(contribution.amount().toString());
      out.writeUTF(contribution.currency());
      out.writeInt(contribution.duplicates());
      SpanContext spanContext = contribution.spanContext();
      out.writeBoolean(spanContext.isValid());
      if (spanContext.isValid()) {
        out.write(spanContext.getTraceIdBytes());
        out.write(spanContext.getSpanIdBytes());
        out.writeByte(spanContext.getTraceFlags().asByte());
        out.writeUTF(TraceStates.format(spanContext.getTraceState()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Writing to memory cannot fail", e);
    }
    return bytes.toByteArray();
  }

  static Contribution decodeValue(String orderId, byte[] value) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
      byte version = in.readByte();
      if (version != FORMAT_VERSION) {
        throw new IllegalStateException("Unknown contribution format version " + version);
      }
      long eventTime = in.readLong();
      int partition = in.readInt();
      long offset = in.readLong();
      BigDecimal amount = new BigDecimal(in.readUTF());
      String currency = in.readUTF();
      int duplicates = in.readInt();
      SpanContext spanContext = SpanContext.getInvalid();
      if (in.readBoolean()) {
        byte[] traceId = in.readNBytes(16);
        byte[] spanId = in.readNBytes(8);
        byte flags = in.readByte();
        spanContext =
            SpanContext.createFromRemoteParent(
                TraceId.fromBytes(traceId),
                SpanId.fromBytes(spanId),
                TraceFlags.fromByte(flags),
                TraceStates.parse(in.readUTF()));
      }
      return new Contribution(
          orderId, eventTime, partition, offset, amount, currency, spanContext, duplicates);
    } catch (IOException e) {
      throw new UncheckedIOException("Corrupt contribution entry", e);
    }
  }
}
