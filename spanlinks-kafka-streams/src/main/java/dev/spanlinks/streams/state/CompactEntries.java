package dev.spanlinks.streams.state;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The entries of a format-3 block ({@link ContributionStore}): every order's context goes to the
 * changelog once, so its size is most of what spanlinks writes to Kafka per order.
 *
 * <p>An entry: a flags byte; the id (16 bytes when it is a UUID in canonical lower-case form, else
 * its length and UTF-8 bytes); the event time relative to the window start, the partition and the
 * offset as variable-length integers; the amount as its scale and unscaled value (or its text when
 * the unscaled value does not fit a long); the currency; the trace id, span id and flags (25 bytes)
 * and the tracestate when there is one; the record's own link attributes when it has any.
 * Variable-length integers are zig-zag varints, so that no value, however unexpected, fails to
 * round-trip.
 */
final class CompactEntries {
  private static final int UUID_ID = 1;
  private static final int VALID_CONTEXT = 1 << 1;
  private static final int TRACE_STATE = 1 << 2;
  private static final int LINK_ATTRIBUTES = 1 << 3;
  private static final int TEXT_AMOUNT = 1 << 4;

  private static final byte STRING = 0;
  private static final byte BOOLEAN = 1;
  private static final byte LONG = 2;
  private static final byte DOUBLE = 3;

  private CompactEntries() {}

  static byte[] encode(Contribution contribution, long windowStartMs) {
    Writer out = new Writer();
    SpanContext context = contribution.spanContext();
    String traceState =
        context.isValid() && !context.getTraceState().isEmpty()
            ? TraceStates.format(context.getTraceState())
            : "";
    boolean uuid = isCanonicalUuid(contribution.orderId());
    BigDecimal amount = contribution.amount();
    boolean textAmount = amount.unscaledValue().bitLength() > 63;
    Attributes attributes = contribution.linkAttributes();
    int flags =
        (uuid ? UUID_ID : 0)
            | (context.isValid() ? VALID_CONTEXT : 0)
            | (traceState.isEmpty() ? 0 : TRACE_STATE)
            | (attributes.isEmpty() ? 0 : LINK_ATTRIBUTES)
            | (textAmount ? TEXT_AMOUNT : 0);
    out.writeByte(flags);
    if (uuid) {
      UUID id = UUID.fromString(contribution.orderId());
      out.writeLong(id.getMostSignificantBits());
      out.writeLong(id.getLeastSignificantBits());
    } else {
      out.writeString(contribution.orderId());
    }
    out.writeVarLong(contribution.eventTimeMs() - windowStartMs);
    out.writeVarLong(contribution.partition());
    out.writeVarLong(contribution.offset());
    if (textAmount) {
      out.writeString(amount.toString());
    } else {
      out.writeVarLong(amount.scale());
      out.writeVarLong(amount.unscaledValue().longValue());
    }
    out.writeString(contribution.currency());
    if (context.isValid()) {
      out.writeBytes(context.getTraceIdBytes());
      out.writeBytes(context.getSpanIdBytes());
      out.writeByte(context.getTraceFlags().asByte());
      if (!traceState.isEmpty()) {
        out.writeString(traceState);
      }
    }
    if (!attributes.isEmpty()) {
      writeAttributes(out, attributes);
    }
    return out.toByteArray();
  }

  /** Hands the entries of {@code block}, from {@code offset} to its end, to {@code sink}. */
  static void decode(byte[] block, int offset, long windowStartMs, Consumer<Contribution> sink) {
    Reader in = new Reader(block, offset);
    while (in.hasMore()) {
      int flags = in.readByte();
      String id =
          (flags & UUID_ID) != 0
              ? new UUID(in.readLong(), in.readLong()).toString()
              : in.readString();
      long eventTime = windowStartMs + in.readVarLong();
      int partition = in.readVarInt();
      long offsetInPartition = in.readVarLong();
      BigDecimal amount =
          (flags & TEXT_AMOUNT) != 0 ? new BigDecimal(in.readString()) : readScaledAmount(in);
      String currency = in.readString();
      SpanContext context = SpanContext.getInvalid();
      if ((flags & VALID_CONTEXT) != 0) {
        String traceId = TraceId.fromBytes(in.readBytes(16));
        String spanId = SpanId.fromBytes(in.readBytes(8));
        TraceFlags traceFlags = TraceFlags.fromByte((byte) in.readByte());
        String traceState = (flags & TRACE_STATE) != 0 ? in.readString() : "";
        context =
            SpanContext.createFromRemoteParent(
                traceId, spanId, traceFlags, TraceStates.parse(traceState));
      }
      Attributes attributes =
          (flags & LINK_ATTRIBUTES) != 0 ? readAttributes(in) : Attributes.empty();
      sink.accept(
          new Contribution(
              id,
              eventTime,
              partition,
              offsetInPartition,
              amount,
              currency,
              context,
              0,
              attributes));
    }
  }

  private static BigDecimal readScaledAmount(Reader in) {
    int scale = in.readVarInt();
    return BigDecimal.valueOf(in.readVarLong(), scale);
  }

  private static void writeAttributes(Writer out, Attributes attributes) {
    out.writeVarLong(attributes.size());
    attributes.forEach(
        (key, value) -> {
          out.writeString(key.getKey());
          switch (key.getType()) {
            case STRING -> {
              out.writeByte(STRING);
              out.writeString((String) value);
            }
            case BOOLEAN -> {
              out.writeByte(BOOLEAN);
              out.writeByte((Boolean) value ? 1 : 0);
            }
            case LONG -> {
              out.writeByte(LONG);
              out.writeVarLong((Long) value);
            }
            case DOUBLE -> {
              out.writeByte(DOUBLE);
              out.writeLong(Double.doubleToRawLongBits((Double) value));
            }
            default ->
                // The edge refuses other types (LinkAttributeRules); stored, one would be lost.
                throw new IllegalArgumentException("Unsupported link attribute type " + key);
          }
        });
  }

  private static Attributes readAttributes(Reader in) {
    long count = in.readVarLong();
    AttributesBuilder builder = Attributes.builder();
    for (long i = 0; i < count; i++) {
      String key = in.readString();
      byte type = (byte) in.readByte();
      switch (type) {
        case STRING -> builder.put(AttributeKey.stringKey(key), in.readString());
        case BOOLEAN -> builder.put(AttributeKey.booleanKey(key), in.readByte() != 0);
        case LONG -> builder.put(AttributeKey.longKey(key), in.readVarLong());
        case DOUBLE ->
            builder.put(AttributeKey.doubleKey(key), Double.longBitsToDouble(in.readLong()));
        default -> throw new IllegalStateException("Unknown link attribute type " + type);
      }
    }
    return builder.build();
  }

  /** True for a UUID as {@link UUID#toString()} writes it, so that decoding gives it back. */
  static boolean isCanonicalUuid(String id) {
    if (id.length() != 36) {
      return false;
    }
    for (int i = 0; i < 36; i++) {
      char c = id.charAt(i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  static boolean hasUnpairedSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  /** A growing byte array. */
  private static final class Writer {
    private byte[] bytes = new byte[80];
    private int size;

    void writeByte(int b) {
      ensure(1);
      bytes[size++] = (byte) b;
    }

    void writeBytes(byte[] b) {
      ensure(b.length);
      System.arraycopy(b, 0, bytes, size, b.length);
      size += b.length;
    }

    void writeLong(long v) {
      ensure(8);
      for (int shift = 56; shift >= 0; shift -= 8) {
        bytes[size++] = (byte) (v >>> shift);
      }
    }

    /** Zig-zag, then seven bits a byte, least significant first. */
    void writeVarLong(long v) {
      long zigZag = (v << 1) ^ (v >> 63);
      ensure(10);
      while ((zigZag & ~0x7FL) != 0) {
        bytes[size++] = (byte) ((zigZag & 0x7F) | 0x80);
        zigZag >>>= 7;
      }
      bytes[size++] = (byte) zigZag;
    }

    /**
     * The byte length shifted left once, its low bit telling the encoding: UTF-8, or UTF-16 for a
     * string with an unpaired surrogate, which UTF-8 would turn into '?' (two ids that differ only
     * there would become one).
     */
    void writeString(String s) {
      if (hasUnpairedSurrogate(s)) {
        // Char by char: Java's UTF-16 encoder would replace the unpaired surrogate too.
        writeVarLong(((long) s.length() << 2) | 1);
        ensure(2 * s.length());
        for (int i = 0; i < s.length(); i++) {
          bytes[size++] = (byte) (s.charAt(i) >>> 8);
          bytes[size++] = (byte) s.charAt(i);
        }
      } else {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        writeVarLong((long) utf8.length << 1);
        writeBytes(utf8);
      }
    }

    private void ensure(int more) {
      if (size + more > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
      }
    }

    byte[] toByteArray() {
      return Arrays.copyOf(bytes, size);
    }
  }

  /** Reads what {@link Writer} wrote; past the end, throws {@link IllegalStateException}. */
  private static final class Reader {
    private final byte[] bytes;
    private int position;

    Reader(byte[] bytes, int position) {
      this.bytes = bytes;
      this.position = position;
    }

    boolean hasMore() {
      return position < bytes.length;
    }

    int readByte() {
      need(1);
      return bytes[position++] & 0xFF;
    }

    byte[] readBytes(int length) {
      need(length);
      byte[] read = Arrays.copyOfRange(bytes, position, position + length);
      position += length;
      return read;
    }

    long readLong() {
      need(8);
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (bytes[position++] & 0xFF);
      }
      return v;
    }

    long readVarLong() {
      long zigZag = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int b = readByte();
        zigZag |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return (zigZag >>> 1) ^ -(zigZag & 1);
        }
      }
      throw new IllegalStateException("Corrupt entry: a variable-length integer over 10 bytes");
    }

    int readVarInt() {
      long v = readVarLong();
      if (v != (int) v) {
        throw new IllegalStateException("Corrupt entry: " + v + " where an int belongs");
      }
      return (int) v;
    }

    String readString() {
      long header = readVarLong();
      long length = header >>> 1;
      if (header < 0 || length > bytes.length - position) {
        throw new IllegalStateException("Corrupt entry: a string of " + length + " bytes");
      }
      String s;
      if ((header & 1) == 0) {
        s = new String(bytes, position, (int) length, StandardCharsets.UTF_8);
      } else {
        char[] chars = new char[(int) (length / 2)];
        for (int i = 0; i < chars.length; i++) {
          chars[i] =
              (char)
                  (((bytes[position + 2 * i] & 0xFF) << 8) | (bytes[position + 2 * i + 1] & 0xFF));
        }
        s = new String(chars);
      }
      position += (int) length;
      return s;
    }

    private void need(int length) {
      if (position + length > bytes.length) {
        throw new IllegalStateException("Corrupt entry: it ends early");
      }
    }
  }
}
