package dev.spanlinks.app.orders;

import dev.spanlinks.app.orders.ModelEvent.Header;
import dev.spanlinks.app.orders.ModelEvent.Invalid;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The finite, hand-labelled menus {@link ModelGenerator} builds records from: each variant says, in
 * plain data, how the spec reads it. Nothing here calls the code under test. The labels of
 * traceparent and tracestate variants are what OpenTelemetry's W3C propagator (1.67) returns for
 * them, checked against it once by hand; the labels of keys are what Java's UTF-8 decoder and
 * {@link String#isBlank()} make of them, checked the same way.
 */
final class LabelledVariants {
  private LabelledVariants() {}

  /** Something with a weight, to be drawn from a menu. */
  interface Weighted {
    int weight();
  }

  static <T extends Weighted> T pick(Random random, List<T> menu) {
    int total = menu.stream().mapToInt(Weighted::weight).sum();
    int ticket = random.nextInt(total);
    for (T item : menu) {
      ticket -= item.weight();
      if (ticket < 0) {
        return item;
      }
    }
    throw new IllegalStateException("unreachable");
  }

  // ---- trace context -------------------------------------------------------------------------

  /**
   * A way to write the {@code traceparent} header(s) for an order whose ids are (t, s).
   *
   * @param flags the trace flags of the link the propagator reads, or null when it reads none
   */
  record Traceparent(String name, int weight, Writer writer, String flags) implements Weighted {}

  /** Writes the headers for trace id t and span id s. */
  interface Writer {
    List<Header> headers(String t, String s);
  }

  private static Traceparent traceparent(String name, int weight, Writer writer, String flags) {
    return new Traceparent(name, weight, writer, flags);
  }

  private static List<Header> tp(String... values) {
    List<Header> headers = new ArrayList<>();
    for (String value : values) {
      headers.add(new Header("traceparent", value.getBytes(StandardCharsets.UTF_8)));
    }
    return headers;
  }

  static final List<Traceparent> TRACEPARENTS =
      List.of(
          traceparent("sampled", 40, (t, s) -> tp("00-" + t + "-" + s + "-01"), "01"),
          traceparent("unsampled", 12, (t, s) -> tp("00-" + t + "-" + s + "-00"), "00"),
          traceparent("flags 02", 1, (t, s) -> tp("00-" + t + "-" + s + "-02"), "02"),
          traceparent("flags ff", 1, (t, s) -> tp("00-" + t + "-" + s + "-ff"), "ff"),
          traceparent("future version cc", 1, (t, s) -> tp("cc-" + t + "-" + s + "-01"), "01"),
          traceparent(
              "version 01, extra field", 1, (t, s) -> tp("01-" + t + "-" + s + "-01-extra"), "01"),
          traceparent(
              "upper-case hex",
              2,
              (t, s) -> tp("00-" + t.toUpperCase() + "-" + s.toUpperCase() + "-01"),
              null),
          traceparent(
              "zero trace id", 1, (t, s) -> tp("00-" + "0".repeat(32) + "-" + s + "-01"), null),
          traceparent(
              "zero span id", 1, (t, s) -> tp("00-" + t + "-" + "0".repeat(16) + "-01"), null),
          traceparent(
              "30-digit trace id", 1, (t, s) -> tp("00-" + t.substring(2) + "-" + s + "-01"), null),
          traceparent("18-digit span id", 1, (t, s) -> tp("00-" + t + "-" + s + "ab-01"), null),
          traceparent("version ff", 1, (t, s) -> tp("ff-" + t + "-" + s + "-01"), null),
          traceparent(
              "version 00, extra field", 1, (t, s) -> tp("00-" + t + "-" + s + "-01-x"), null),
          traceparent("one-digit flags", 1, (t, s) -> tp("00-" + t + "-" + s + "-1"), null),
          traceparent("leading space", 1, (t, s) -> tp(" 00-" + t + "-" + s + "-01"), null),
          traceparent("garbage", 1, (t, s) -> tp("garbage"), null),
          traceparent("empty", 1, (t, s) -> tp(""), null),
          traceparent(
              "binary",
              1,
              (t, s) ->
                  List.of(new Header("traceparent", new byte[] {(byte) 0xff, (byte) 0xfe, 0, 'g'})),
              null),
          traceparent("null value", 1, (t, s) -> List.of(new Header("traceparent", null)), null),
          traceparent(
              "header name Traceparent",
              1,
              (t, s) ->
                  List.of(
                      new Header(
                          "Traceparent",
                          ("00-" + t + "-" + s + "-01").getBytes(StandardCharsets.UTF_8))),
              null),
          traceparent("missing", 15, (t, s) -> List.of(), null),
          traceparent(
              "garbage, then valid", 1, (t, s) -> tp("garbage", "00-" + t + "-" + s + "-01"), "01"),
          traceparent(
              "valid, then garbage",
              1,
              (t, s) -> tp("00-" + t + "-" + s + "-01", "garbage"),
              null));

  /**
   * A {@code tracestate} header and the entries the propagator keeps of it (when the traceparent is
   * valid).
   *
   * @param header null for no header
   */
  record Tracestate(String name, int weight, String header, List<String> entries)
      implements Weighted {}

  static final List<Tracestate> TRACESTATES =
      List.of(
          new Tracestate("none", 70, null, List.of()),
          new Tracestate(
              "two entries",
              5,
              "vendor1=abc,rojo=00f067aa0ba902b7",
              List.of("vendor1=abc", "rojo=00f067aa0ba902b7")),
          new Tracestate("one entry", 3, "congo=t61rcWkgMzE", List.of("congo=t61rcWkgMzE")),
          new Tracestate("empty", 1, "", List.of()),
          new Tracestate("no equals sign", 1, "nokey", List.of()),
          new Tracestate("upper-case key", 1, "UPPER=x", List.of()),
          new Tracestate("upper-case key among valid ones", 1, "a=1,UPPER=2,b=3", List.of()),
          new Tracestate("spaces around the comma", 1, "a=1 , b=2", List.of("a=1", "b=2")),
          new Tracestate("tenant key", 1, "t@vendor=x", List.of("t@vendor=x")),
          new Tracestate("empty member", 1, "a=1,,b=2", List.of("a=1", "b=2")),
          new Tracestate("duplicate key", 1, "k0=v,k0=w", List.of()),
          new Tracestate("empty value", 1, "a=", List.of()),
          new Tracestate("space inside a value", 1, "a=x y", List.of("a=x y")),
          new Tracestate("32 entries", 1, entries(32, "v"), entryList(32, "v")),
          new Tracestate("33 entries", 1, entries(33, "v"), List.of()),
          new Tracestate(
              "20 entries, 629 characters",
              1,
              entries(20, "v".repeat(27)),
              entryList(20, "v".repeat(27))),
          new Tracestate("40 entries, 989 characters", 1, entries(40, "v".repeat(20)), List.of()));

  private static List<String> entryList(int count, String value) {
    List<String> entries = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      entries.add("k" + i + "=" + value);
    }
    return entries;
  }

  private static String entries(int count, String value) {
    return String.join(",", entryList(count, value));
  }

  // ---- batch keys ----------------------------------------------------------------------------

  /**
   * A record key and how the key deserializer reads it.
   *
   * @param batchKey the batch key, or null when the record is dead-lettered for its key
   */
  record Key(String name, int weight, byte[] bytes, String batchKey, Invalid invalid)
      implements Weighted {}

  private static Key validKey(String name, int weight, String key) {
    return new Key(name, weight, key.getBytes(StandardCharsets.UTF_8), key, null);
  }

  private static Key rawKey(String name, byte[] bytes, String decoded) {
    return new Key(name, 1, bytes, decoded, null);
  }

  private static Key blankKey(String name, String key) {
    return new Key(
        name,
        1,
        key.getBytes(StandardCharsets.UTF_8),
        null,
        Invalid.because("key (batch key) is empty"));
  }

  /** Unusual keys that are still batch keys. */
  static final List<Key> ODD_KEYS =
      List.of(
          validKey("300 characters", 1, "L".repeat(300)),
          validKey("3000 characters", 1, "M".repeat(3000)),
          validKey("accents", 1, "münchen-ü"),
          validKey("emoji", 1, "\uD83D\uDED2 cart"),
          validKey("NUL", 1, "\u0000"),
          validKey("no-break space (not blank)", 1, "\u00A0"),
          validKey("zero-width space (not blank)", 1, "\u200B"),
          validKey("next line U+0085 (not blank)", 1, "\u0085"),
          rawKey("not UTF-8: eu FF", new byte[] {'e', 'u', (byte) 0xff}, "eu\uFFFD"),
          rawKey("not UTF-8: eu FE", new byte[] {'e', 'u', (byte) 0xfe}, "eu\uFFFD"),
          rawKey("not UTF-8: C3 28", new byte[] {(byte) 0xc3, 0x28}, "\uFFFD("),
          rawKey(
              "not UTF-8: cut 4-byte sequence",
              new byte[] {(byte) 0xf0, (byte) 0x9f, (byte) 0x98},
              "\uFFFD"));

  /** Keys that send the record to the dead-letter topic. */
  static final List<Key> BAD_KEYS =
      List.of(
          new Key("null", 2, null, null, Invalid.because("key (batch key) is null")),
          blankKey("empty", ""),
          blankKey("space", " "),
          blankKey("tab and newline", "\t\n"),
          blankKey("em space", "\u2003"),
          blankKey("ideographic space", "\u3000"),
          blankKey("unit separator U+001F", "\u001F"),
          blankKey("line separator U+2028", "\u2028"));

  // ---- values --------------------------------------------------------------------------------

  /**
   * A value that is not an order whatever its fields, or (invalid == null) a valid envelope around
   * the order's JSON.
   */
  record Envelope(String name, int weight, String feature, Wrapper wrapper, Invalid invalid)
      implements Weighted {}

  /** The value bytes, given the order's JSON text. */
  interface Wrapper {
    byte[] wrap(String orderJson, Random random);
  }

  private static final String NOT_JSON = "value is not valid JSON";
  private static final String NOT_OBJECT = "value is not a JSON object";

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static Envelope bad(String name, Wrapper wrapper, String... reasons) {
    return new Envelope(name, 1, null, wrapper, new Invalid(Set.of(reasons), name));
  }

  static final List<Envelope> BAD_ENVELOPES =
      List.of(
          new Envelope(
              "tombstone",
              2,
              null,
              (json, r) -> null,
              Invalid.because("value is null (tombstone)")),
          bad("text", (json, r) -> utf8("not json at all"), NOT_JSON),
          bad(
              "binary",
              (json, r) -> {
                byte[] bytes = new byte[1 + r.nextInt(64)];
                r.nextBytes(bytes);
                bytes[0] = (byte) 0x80; // never the start of a JSON text, in any encoding
                return bytes;
              },
              NOT_JSON),
          bad("cut off", (json, r) -> utf8(json.substring(0, json.length() / 2)), NOT_JSON),
          bad("array", (json, r) -> utf8("[" + json + "]"), NOT_OBJECT),
          bad("string", (json, r) -> utf8("\"an order\""), NOT_OBJECT),
          bad("number", (json, r) -> utf8("42"), NOT_OBJECT),
          bad("true", (json, r) -> utf8("true"), NOT_OBJECT),
          bad("JSON null", (json, r) -> utf8("null"), NOT_OBJECT),
          bad("empty", (json, r) -> new byte[0], NOT_JSON, NOT_OBJECT),
          bad("blank", (json, r) -> utf8("  \n"), NOT_JSON, NOT_OBJECT),
          bad(
              "byte FF inside a string",
              (json, r) -> {
                byte[] rest = utf8(json.substring(1));
                byte[] bytes = new byte[rest.length + 13];
                System.arraycopy(utf8("{\"note\":\"x"), 0, bytes, 0, 10);
                bytes[10] = (byte) 0xff; // never valid in UTF-8
                System.arraycopy(utf8("\","), 0, bytes, 11, 2);
                System.arraycopy(rest, 0, bytes, 13, rest.length);
                return bytes;
              },
              NOT_JSON),
          bad("NaN amount", (json, r) -> utf8(json.replaceFirst("\\{", "{\"tax\":NaN,")), NOT_JSON),
          new Envelope(
              "two objects",
              1,
              "trailingJson",
              (json, r) -> utf8(json + json),
              Invalid.because(NOT_JSON)),
          new Envelope(
              "trailing text",
              1,
              "trailingJson",
              (json, r) -> utf8(json + " trailing"),
              Invalid.because(NOT_JSON)));

  static final List<Envelope> GOOD_ENVELOPES =
      List.of(
          new Envelope("plain", 90, null, (json, r) -> utf8(json), null),
          new Envelope(
              "unknown fields",
              6,
              null,
              (json, r) ->
                  utf8(
                      json.replaceFirst(
                          "\\{", "{\"coupon\":\"SPRING\",\"nested\":{\"a\":[1,2.5e3]},")),
              null),
          new Envelope(
              "UTF-8 byte order mark",
              1,
              null,
              (json, r) -> {
                byte[] body = utf8(json);
                byte[] bytes = new byte[body.length + 3];
                bytes[0] = (byte) 0xef;
                bytes[1] = (byte) 0xbb;
                bytes[2] = (byte) 0xbf;
                System.arraycopy(body, 0, bytes, 3, body.length);
                return bytes;
              },
              null),
          new Envelope(
              "padded to 20 KB",
              2,
              null,
              (json, r) ->
                  utf8(json.replaceFirst("\\{", "{\"padding\":\"" + "p".repeat(20_000) + "\",")),
              null),
          new Envelope(
              "padded to 900 KB",
              1,
              "bigValues",
              (json, r) ->
                  utf8(json.replaceFirst("\\{", "{\"padding\":\"" + "p".repeat(900_000) + "\",")),
              null));
}
