package dev.spanlinks.streams.state;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The contributions store ({@code batch-contributions}): the orders of the open windows, in small
 * blocks, and its binary key and value formats.
 *
 * <p>Key: {@code window start | batch key | block id}. The window start comes first, sign-flipped
 * and big-endian, so byte order is time order and all windows before a boundary form one range
 * scan; the batch key is length-prefixed, so one batch's blocks are contiguous. The block id (8
 * bytes, big-endian) is the task's block sequence number, kept in the window progress store ({@code
 * window-progress}): unique within the task, and in arrival order. A key with no block id marks a
 * batch that has a sampled order: written by earlier versions, still read.
 *
 * <p>Value: a version byte, then one entry per order: the {@link Contribution} fields, with the
 * span context as raw bytes (16 + 8 + 1) plus the tracestate as it arrived, in the compact form of
 * {@link CompactEntries} (format 3). A block stops growing before its key and value pass {@value
 * #MAX_RECORD_BYTES} bytes, so no changelog record passes 1 KiB, whatever the window size (an order
 * that alone is larger gets a block of its own).
 *
 * <p>Earlier formats are still read, so windows left open by an older version close normally after
 * an upgrade: format 1, one entry per order keyed by its order id, and format 2, blocks of entries
 * written with {@link java.io.DataOutputStream}.
 */
public final class ContributionStore {
  static final int MAX_RECORD_BYTES = 1024;
  private static final byte ENTRY_PER_ORDER_FORMAT = 1;
  private static final byte BLOCK_FORMAT = 2;
  private static final byte COMPACT_BLOCK_FORMAT = 3;

  private ContributionStore() {}

  /** One batch: a batch key in one window. */
  public record BatchWindow(long windowStartMs, String batchKey) {}

  /**
   * A decoded key: the batch, and what follows it (a block id; an order id in format 1; nothing for
   * the sampled marker).
   */
  public record StoredKey(BatchWindow batch, byte[] suffix) {
    public boolean isSampledMarker() {
      return suffix.length == 0;
    }
  }

  /** The value of an earlier version's marker entry; never read back, only its key matters. */
  public static final byte[] MARKER_VALUE = {0};

  /** The contributions store, under {@code name}. */
  public static StoreBuilder<KeyValueStore<Bytes, byte[]>> contributionsStore(String name) {
    // The record cache is what keeps the changelog small: an order rewrites its block, the cache
    // keeps only the block's latest value, and the commit writes it once (one changelog record per
    // block per commit, not one per order).
    return Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray())
        .withCachingEnabled();
  }

  /** The window progress store (block sequence, closed-through boundary), under {@code name}. */
  public static StoreBuilder<KeyValueStore<String, Long>> windowProgressStore(String name) {
    // Cached too: the block sequence number moves with every new block.
    return Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.Long())
        .withCachingEnabled();
  }

  /** The smallest key of window {@code windowStartMs}: entries of that window sort after it. */
  public static Bytes windowPrefix(long windowStartMs) {
    return Bytes.wrap(ByteBuffer.allocate(8).putLong(windowStartMs ^ Long.MIN_VALUE).array());
  }

  public static Bytes blockKey(BatchWindow batch, long blockId) {
    return key(batch, ByteBuffer.allocate(8).putLong(blockId).array());
  }

  public static Bytes sampledMarkerKey(BatchWindow batch) {
    return key(batch, new byte[0]);
  }

  static Bytes key(BatchWindow batch, byte[] suffix) {
    byte[] batchKey = batch.batchKey().getBytes(StandardCharsets.UTF_8);
    ByteBuffer buffer = ByteBuffer.allocate(8 + 4 + batchKey.length + suffix.length);
    buffer.putLong(batch.windowStartMs() ^ Long.MIN_VALUE);
    buffer.putInt(batchKey.length).put(batchKey).put(suffix);
    return Bytes.wrap(buffer.array());
  }

  public static StoredKey decodeKey(Bytes bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes.get());
    long windowStart = buffer.getLong() ^ Long.MIN_VALUE;
    byte[] batchKey = new byte[buffer.getInt()];
    buffer.get(batchKey);
    byte[] suffix = new byte[buffer.remaining()];
    buffer.get(suffix);
    return new StoredKey(
        new BatchWindow(windowStart, new String(batchKey, StandardCharsets.UTF_8)), suffix);
  }

  /** A block holding one entry, ready for more. */
  public static byte[] newBlock(byte[] entry) {
    byte[] block = new byte[1 + entry.length];
    block[0] = COMPACT_BLOCK_FORMAT;
    System.arraycopy(entry, 0, block, 1, entry.length);
    return block;
  }

  /** A new array: the block as it was, then the entry. The old array is left as it was. */
  static byte[] append(byte[] block, byte[] entry) {
    byte[] grown = Arrays.copyOf(block, block.length + entry.length);
    System.arraycopy(entry, 0, grown, block.length, entry.length);
    return grown;
  }

  /** True when the entry must start a new block rather than grow this one. */
  static boolean isFull(Bytes key, byte[] block, byte[] entry) {
    return key.get().length + block.length + entry.length > MAX_RECORD_BYTES;
  }

  /**
   * One order's entry in the current format: about 60 bytes for an order with a UUID id and a span
   * context (format 2 took about 100). See {@link CompactEntries}.
   *
   * @param windowStartMs the start of the order's window: event times are stored relative to it
   */
  public static byte[] encodeEntry(Contribution contribution, long windowStartMs) {
    return CompactEntries.encode(contribution, windowStartMs);
  }

  /** Hands every order of a stored value to {@code sink}, in the order they arrived. */
  public static void decodeValue(StoredKey key, byte[] value, Consumer<Contribution> sink) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
      byte version = in.readByte();
      if (version == COMPACT_BLOCK_FORMAT) {
        CompactEntries.decode(value, 1, key.batch().windowStartMs(), sink);
      } else if (version == BLOCK_FORMAT) {
        while (in.available() > 0) {
          sink.accept(readFields(in, in.readUTF(), false));
        }
      } else if (version == ENTRY_PER_ORDER_FORMAT) {
        String orderId = new String(key.suffix(), StandardCharsets.UTF_8);
        sink.accept(readFields(in, orderId, true));
      } else {
        throw new IllegalStateException("Unknown contribution format version " + version);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Corrupt contribution entry", e);
    }
  }

  /** Format 1 also kept a count of redeliveries, between the currency and the span context. */
  private static Contribution readFields(DataInputStream in, String orderId, boolean formatOne)
      throws IOException {
    long eventTime = in.readLong();
    int partition = in.readInt();
    long offset = in.readLong();
    BigDecimal amount = new BigDecimal(in.readUTF());
    String currency = in.readUTF();
    int duplicates = formatOne ? in.readInt() : 0;
    SpanContext spanContext = readSpanContext(in);
    return new Contribution(
        orderId, eventTime, partition, offset, amount, currency, spanContext, duplicates);
  }

  private static SpanContext readSpanContext(DataInputStream in) throws IOException {
    if (!in.readBoolean()) {
      return SpanContext.getInvalid();
    }
    byte[] traceId = in.readNBytes(16);
    byte[] spanId = in.readNBytes(8);
    byte flags = in.readByte();
    return SpanContext.createFromRemoteParent(
        TraceId.fromBytes(traceId),
        SpanId.fromBytes(spanId),
        TraceFlags.fromByte(flags),
        TraceStates.parse(in.readUTF()));
  }
}
