package dev.spanlinks.streams.trace.internals;

import dev.spanlinks.streams.state.TraceStates;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import java.util.List;

/**
 * Upper bounds of the OTLP protobuf bytes of span parts, cheap enough to compute per link. Every
 * length prefix is counted at its largest plausible width and every number at ten bytes, so the
 * bound holds whatever the values; the per-trace budget is kept against these bounds, never against
 * measured sizes, which would mean encoding every span twice.
 */
final class OtlpSizes {
  /** Everything of a span but its attributes and links: ids, name, kind, times, status, flags. */
  static final int SPAN_WITHOUT_ATTRIBUTES = 160;

  private OtlpSizes() {}

  /** How the bounds count text. */
  enum Text {
    /** Its UTF-8 bytes, which takes a pass over every char. */
    EXACT,
    /**
     * Three bytes a char, the most UTF-8 takes for one: from the length alone, for a first bound
     * that may rule out a closer look (the bounds are then at most three times as large).
     */
    LOOSE;

    long bytes(String text) {
      return this == EXACT ? utf8(text) : 3L * text.length();
    }
  }

  /** A link: its message, trace and span ids, flags, tracestate and attributes. */
  static long link(SpanContext context, Attributes attributes) {
    return link(context, attributes, Text.EXACT);
  }

  static long link(SpanContext context, Attributes attributes, Text count) {
    // Most links carry no tracestate: skip formatting one (this runs for every link, twice).
    long traceState =
        context.getTraceState().isEmpty()
            ? 0
            : 4 + count.bytes(TraceStates.format(context.getTraceState()));
    return 4 // the link's own tag and length
        + 18 // trace id: tag, length, 16 bytes
        + 10 // span id: tag, length, 8 bytes
        + 5 // flags: tag and fixed32
        + traceState
        + attributes(attributes, count);
  }

  /** A string field: its tag, length and UTF-8 bytes; nothing when empty (protobuf omits it). */
  static long text(String text) {
    return text(text, Text.EXACT);
  }

  static long text(String text, Text count) {
    return text.isEmpty() ? 0 : 4 + count.bytes(text);
  }

  /** A span event: its message, time, name and attributes. */
  static long event(String name, Attributes attributes, Text count) {
    return 4 + 10 + text(name, count) + attributes(attributes, count);
  }

  /** A span's attributes. */
  static long attributes(Attributes attributes) {
    return attributes(attributes, Text.EXACT);
  }

  static long attributes(Attributes attributes, Text count) {
    long[] bytes = {0};
    attributes.forEach((key, value) -> bytes[0] += attribute(key, value, count));
    return bytes[0];
  }

  private static long attribute(AttributeKey<?> key, Object value, Text count) {
    long valueBytes =
        switch (key.getType()) {
          case STRING -> 4 + count.bytes((String) value);
          case BOOLEAN -> 2;
          case LONG, DOUBLE -> 11;
          default -> 4 + 11L * ((List<?>) value).size() + count.bytes(String.valueOf(value));
        };
    return 4 + 4 + count.bytes(key.getKey()) + 4 + valueBytes;
  }

  /**
   * The length of {@code text} in UTF-8, as {@code getBytes(UTF_8).length} gives it (an unpaired
   * surrogate is one '?'), without encoding it: this runs for every attribute of every link.
   */
  static long utf8(String text) {
    long bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        bytes += 1;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }
}
