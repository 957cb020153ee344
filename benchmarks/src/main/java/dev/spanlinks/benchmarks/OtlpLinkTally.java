package dev.spanlinks.benchmarks;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes OTLP {@code ExportTraceServiceRequest} bytes field by field, as a collector does, and
 * tallies the links to each span context. It reads only the fields it counts (spans; each link's
 * trace id, span id and attribute keys) and skips the rest by their wire type, without building a
 * message object a field: protobuf-java's full parse, which the receiver used first, cost about 4
 * µs of CPU a link on the benchmark machine, more than the spanlinks side of the export, on the
 * same two cores as the variants it measures. {@code OtlpLinkTallyTest} checks it against
 * protobuf-java on the same bytes.
 *
 * <p>Links that carry {@code spanlinks.link.to} join a batch span and its chunk traces: they are
 * counted apart, not as order links. Not thread-safe.
 */
final class OtlpLinkTally {
  private static final int WIRE_VARINT = 0;
  private static final int WIRE_FIXED64 = 1;
  private static final int WIRE_LEN = 2;
  private static final int WIRE_FIXED32 = 5;
  private static final byte[] LINK_TO = "spanlinks.link.to".getBytes(StandardCharsets.US_ASCII);

  private long requests;
  private long spans;
  private long orderLinks;
  private long traceLinks;
  private long linkedMoreThanOnce;
  private long checksum;
  private final ContextTable contexts = new ContextTable();

  /** Tallies one request; on malformed bytes it throws and tallies nothing of the request. */
  void add(byte[] request) {
    // Decoded whole first, so that a malformed request leaves the totals as they were.
    Links links = decode(request);
    requests++;
    spans += links.spans;
    for (Link link : links.toArray()) {
      if (link.toTrace) {
        traceLinks++;
        continue;
      }
      orderLinks++;
      int times = contexts.increment(link.traceHigh, link.traceLow, link.spanId);
      if (times == 1) {
        checksum += link.traceLow;
      } else if (times == 2) {
        linkedMoreThanOnce++;
      }
    }
  }

  long requests() {
    return requests;
  }

  long spans() {
    return spans;
  }

  long orderLinks() {
    return orderLinks;
  }

  /** Links between a batch span and its chunk traces ({@code spanlinks.link.to}). */
  long traceLinks() {
    return traceLinks;
  }

  long distinctContexts() {
    return contexts.size();
  }

  long linkedMoreThanOnce() {
    return linkedMoreThanOnce;
  }

  /** The sum of the low 64 bits of the trace ids of the distinct order contexts. */
  long checksum() {
    return checksum;
  }

  private record Link(long traceHigh, long traceLow, long spanId, boolean toTrace) {}

  private static Links decode(byte[] bytes) {
    Links links = new Links();
    Reader request = new Reader(bytes, 0, bytes.length);
    while (request.more()) {
      int tag = request.tag();
      if (tag == field(1, WIRE_LEN)) { // resource_spans
        Reader resourceSpans = request.message();
        while (resourceSpans.more()) {
          int rtag = resourceSpans.tag();
          if (rtag == field(2, WIRE_LEN)) { // scope_spans
            Reader scopeSpans = resourceSpans.message();
            while (scopeSpans.more()) {
              int stag = scopeSpans.tag();
              if (stag == field(2, WIRE_LEN)) { // spans
                links.spans++;
                readSpan(scopeSpans.message(), links);
              } else {
                scopeSpans.skip(stag);
              }
            }
          } else {
            resourceSpans.skip(rtag);
          }
        }
      } else {
        request.skip(tag);
      }
    }
    return links;
  }

  private static void readSpan(Reader span, Links links) {
    while (span.more()) {
      int tag = span.tag();
      if (tag == field(13, WIRE_LEN)) { // links
        links.add(readLink(span.message()));
      } else {
        span.skip(tag);
      }
    }
  }

  private static Link readLink(Reader link) {
    long traceHigh = 0;
    long traceLow = 0;
    long spanId = 0;
    boolean sawTrace = false;
    boolean sawSpan = false;
    boolean toTrace = false;
    while (link.more()) {
      int tag = link.tag();
      if (tag == field(1, WIRE_LEN)) { // trace_id, 16 bytes
        Reader id = link.message();
        id.require(id.remaining() == 16, "trace_id of 16 bytes");
        traceHigh = id.bigEndianLong();
        traceLow = id.bigEndianLong();
        sawTrace = true;
      } else if (tag == field(2, WIRE_LEN)) { // span_id, 8 bytes
        Reader id = link.message();
        id.require(id.remaining() == 8, "span_id of 8 bytes");
        spanId = id.bigEndianLong();
        sawSpan = true;
      } else if (tag == field(4, WIRE_LEN)) { // attributes: KeyValue
        toTrace |= isLinkTo(link.message());
      } else {
        link.skip(tag);
      }
    }
    link.require(sawTrace && sawSpan, "a link with a trace_id and a span_id");
    return new Link(traceHigh, traceLow, spanId, toTrace);
  }

  private static boolean isLinkTo(Reader keyValue) {
    boolean linkTo = false;
    while (keyValue.more()) {
      int tag = keyValue.tag();
      if (tag == field(1, WIRE_LEN)) { // key
        linkTo = keyValue.message().contentEquals(LINK_TO);
      } else {
        keyValue.skip(tag);
      }
    }
    return linkTo;
  }

  private static int field(int number, int wireType) {
    return number << 3 | wireType;
  }

  /** A view of one message's bytes. */
  private static final class Reader {
    private final byte[] bytes;
    private int position;
    private final int end;

    Reader(byte[] bytes, int position, int end) {
      this.bytes = bytes;
      this.position = position;
      this.end = end;
    }

    boolean more() {
      return position < end;
    }

    int remaining() {
      return end - position;
    }

    int tag() {
      long tag = varint();
      require(tag > 0 && tag <= Integer.MAX_VALUE, "a field tag");
      return (int) tag;
    }

    /** The length-delimited field that follows, as a reader of its own; this one moves past it. */
    Reader message() {
      long length = varint();
      require(length >= 0 && length <= end - position, "a length within the message");
      Reader inner = new Reader(bytes, position, position + (int) length);
      position += (int) length;
      return inner;
    }

    void skip(int tag) {
      switch (tag & 7) {
        case WIRE_VARINT -> varint();
        case WIRE_FIXED64 -> advance(8);
        case WIRE_LEN -> message();
        case WIRE_FIXED32 -> advance(4);
        default -> throw new IllegalArgumentException("Unsupported wire type in tag " + tag);
      }
    }

    long bigEndianLong() {
      require(remaining() >= 8, "8 bytes");
      long value = 0;
      for (int i = 0; i < 8; i++) {
        value = value << 8 | (bytes[position++] & 0xff);
      }
      return value;
    }

    boolean contentEquals(byte[] expected) {
      return Arrays.equals(bytes, position, end, expected, 0, expected.length);
    }

    private void advance(int count) {
      require(remaining() >= count, count + " bytes");
      position += count;
    }

    private long varint() {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        require(position < end, "a complete varint");
        byte b = bytes[position++];
        value |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return value;
        }
      }
      throw new IllegalArgumentException("A varint longer than 10 bytes");
    }

    void require(boolean condition, String what) {
      if (!condition) {
        throw new IllegalArgumentException("Malformed OTLP: expected " + what + " at " + position);
      }
    }
  }

  /** The links of one request, and its number of spans. */
  private static final class Links {
    private Link[] links = new Link[64];
    private int size;
    private long spans;

    void add(Link link) {
      if (size == links.length) {
        links = Arrays.copyOf(links, size * 2);
      }
      links[size++] = link;
    }

    Link[] toArray() {
      return Arrays.copyOf(links, size);
    }
  }

  /**
   * How many times each span context (trace id, span id) was linked: open addressing over three
   * parallel {@code long} arrays, so a million contexts take no object each.
   */
  private static final class ContextTable {
    private long[] traceHigh = new long[1 << 12];
    private long[] traceLow = new long[1 << 12];
    private long[] spanId = new long[1 << 12];
    private int[] times = new int[1 << 12];
    private int size;

    int size() {
      return size;
    }

    /** Counts one more link to the context; returns how many it has now. */
    int increment(long high, long low, long span) {
      if (2 * (size + 1) > times.length) {
        grow();
      }
      int slot = find(high, low, span, traceHigh, traceLow, spanId, times);
      if (times[slot] == 0) {
        traceHigh[slot] = high;
        traceLow[slot] = low;
        spanId[slot] = span;
        size++;
      }
      return ++times[slot];
    }

    private static int find(
        long high, long low, long span, long[] highs, long[] lows, long[] spans, int[] counts) {
      int mask = counts.length - 1;
      long hash = high * 0x9E3779B97F4A7C15L ^ low * 0xC2B2AE3D27D4EB4FL ^ span;
      int slot = (int) (hash ^ hash >>> 29) & mask;
      while (counts[slot] != 0
          && (highs[slot] != high || lows[slot] != low || spans[slot] != span)) {
        slot = (slot + 1) & mask;
      }
      return slot;
    }

    private void grow() {
      int capacity = times.length * 2;
      long[] highs = new long[capacity];
      long[] lows = new long[capacity];
      long[] spans = new long[capacity];
      int[] counts = new int[capacity];
      for (int i = 0; i < times.length; i++) {
        if (times[i] != 0) {
          int slot = find(traceHigh[i], traceLow[i], spanId[i], highs, lows, spans, counts);
          highs[slot] = traceHigh[i];
          lows[slot] = traceLow[i];
          spans[slot] = spanId[i];
          counts[slot] = times[i];
        }
      }
      traceHigh = highs;
      traceLow = lows;
      spanId = spans;
      times = counts;
    }
  }
}
