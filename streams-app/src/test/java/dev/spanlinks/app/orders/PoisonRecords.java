package dev.spanlinks.app.orders;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Generates input records of every shape a topic can hand a consumer, for {@link
 * PoisonRecordPropertiesTest}: keys, values, headers and timestamps each drawn from weighted
 * choices that put the hostile edges (2 MB keys, invalid UTF-8, exponents near 2^31, a million
 * digits, 10,000 open brackets, repeated and non-UTF-8 trace headers, times far ahead, far behind
 * and at the ends of the epoch) in among plausible orders. Nothing generated is filtered out. The
 * same seed gives the same records; times relative to the wall clock are resolved when a record is
 * sent, so a replay on a new driver means the same.
 */
final class PoisonRecords {
  static final long SECOND = 1_000;
  static final long MINUTE = 60 * SECOND;
  static final long HOUR = 60 * MINUTE;
  static final long DAY = 24 * HOUR;
  private static final int MB = 1 << 20;

  /** A time: epoch milliseconds, or an offset from the driver's wall clock when it is sent. */
  record When(boolean relative, long millis) {
    static When wall(long offset) {
      return new When(true, offset);
    }

    static When epoch(long millis) {
      return new When(false, millis);
    }

    long at(long wallMs) {
      if (!relative) {
        return millis;
      }
      long sum = wallMs + millis;
      return ((wallMs ^ sum) & (millis ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    @Override
    public String toString() {
      return relative
          ? "wall" + (millis >= 0 ? "+" : "") + millis + "ms"
          : millis + "ms (" + Instant.ofEpochMilli(millis) + ")";
    }
  }

  /**
   * One member of a JSON object as written: {@code json} is its value's text, or, when {@code time}
   * is set, the value is that time as an ISO-8601 string ({@code epochMillis}: as a number).
   */
  record Member(String name, String json, When time, boolean epochMillis) {
    String render(long wallMs) {
      String text;
      if (time == null) {
        text = json;
      } else if (epochMillis) {
        text = Long.toString(time.at(wallMs));
      } else {
        text = "\"" + Instant.ofEpochMilli(time.at(wallMs)) + "\"";
      }
      return "\"" + name + "\":" + text;
    }

    @Override
    public String toString() {
      return time == null
          ? name + ": " + describe(json.getBytes(StandardCharsets.UTF_8), false)
          : name + ": " + time + (epochMillis ? " as epoch ms" : " as ISO-8601");
    }
  }

  /** A record value: raw bytes (null: a tombstone), or a JSON object built from members. */
  record Value(byte[] raw, List<Member> members) {
    static Value raw(byte[] bytes) {
      return new Value(bytes, null);
    }

    static Value object(List<Member> members) {
      return new Value(null, List.copyOf(members));
    }

    byte[] bytes(long wallMs) {
      if (members == null) {
        return raw;
      }
      List<String> rendered = new ArrayList<>();
      members.forEach(m -> rendered.add(m.render(wallMs)));
      return ("{" + String.join(",", rendered) + "}").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return members == null ? describe(raw) : "JSON object " + members;
    }
  }

  /** A header; its value may be null. */
  record Header(String key, byte[] value) {
    @Override
    public String toString() {
      return key + "=" + describe(value);
    }
  }

  /** One input record. The same instance sent twice is a redelivery. */
  record Poison(byte[] key, Value value, List<Header> headers, When timestamp) {
    Poison {
      headers = List.copyOf(headers);
    }

    @Override
    public String toString() {
      long size = estimatedSize(this);
      return (size > 10_000 ? "(about " + size + " bytes) " : "")
          + "key="
          + describe(key)
          + "\n      value="
          + value
          + "\n      headers="
          + headers
          + "\n      timestamp="
          + timestamp;
    }
  }

  private record Weighted<T>(int weight, String label, Supplier<T> generator) {}

  private final Random random;
  private final Map<String, Long> labels;
  private int sequence;

  /**
   * @param labels where to count which choices were made, to print what a run exercised
   */
  PoisonRecords(long seed, Map<String, Long> labels) {
    this.random = new Random(seed);
    this.labels = labels;
  }

  /** One try: 1 to 5 records, some of them redeliveries of records before them in the try. */
  List<Poison> nextTry() {
    int size =
        frequencyOf(List.of(w(50, "try of 1", () -> 1), w(50, "try of 2-5", this::twoToFive)));
    List<Poison> records = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      boolean redeliver = !records.isEmpty() && random.nextInt(100) < 25;
      records.add(
          redeliver ? count("redelivery", records.get(random.nextInt(records.size()))) : next());
    }
    return records;
  }

  private int twoToFive() {
    return 2 + random.nextInt(4);
  }

  Poison next() {
    return new Poison(key(), value(), headers(), timestamp());
  }

  // ---- keys ----------------------------------------------------------------------------------

  private byte[] key() {
    return frequencyOf(
        List.of(
            w(8, "key null", () -> null),
            w(4, "key empty", () -> new byte[0]),
            w(40, "key plausible", () -> utf8(oneOf("eu", "us", "apac", "c-17", "Zürich", "東京"))),
            w(6, "key 1023-1025 bytes", () -> utf8("k".repeat(1023 + random.nextInt(3)))),
            w(3, "key 342 euro signs (1026 bytes)", () -> utf8("€".repeat(342))),
            w(2, "key 2 MB", () -> utf8("k".repeat(2 * MB))),
            w(2, "key about 1 MB", () -> utf8("k".repeat(MB - 200 + random.nextInt(400)))),
            w(6, "key arbitrary bytes", () -> bytes(1 + random.nextInt(64))),
            w(5, "key invalid UTF-8", this::invalidUtf8),
            w(2, "key 120,000 control chars", () -> controlChars(120_000)),
            w(4, "key few control chars", () -> controlChars(1 + random.nextInt(4)))));
  }

  private byte[] invalidUtf8() {
    byte[][] cases = {
      {(byte) 0xFF},
      {'e', 'u', (byte) 0xFE},
      {(byte) 0xC0, (byte) 0x80}, // overlong NUL
      {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // a lone surrogate
      {(byte) 0xE2, (byte) 0x82} // truncated
    };
    return cases[random.nextInt(cases.length)].clone();
  }

  private byte[] controlChars(int count) {
    byte[] chars = new byte[count];
    for (int i = 0; i < count; i++) {
      int c = random.nextInt(33);
      chars[i] = (byte) (c == 32 ? 0x7F : c);
    }
    return chars;
  }

  // ---- values --------------------------------------------------------------------------------

  private Value value() {
    return frequencyOf(
        List.of(
            w(5, "value null", () -> Value.raw(null)),
            w(2, "value empty", () -> Value.raw(new byte[0])),
            w(5, "value arbitrary bytes", () -> Value.raw(bytes(1 + random.nextInt(100)))),
            w(1, "value 2 MB arbitrary bytes", () -> Value.raw(bytes(2 * MB))),
            w(2, "value 10,000 [", () -> Value.raw(utf8("[".repeat(10_000)))),
            w(
                1,
                "value nested objects",
                () -> Value.raw(utf8(nestedObjects(1 + random.nextInt(3000))))),
            w(
                3,
                "value other JSON",
                () ->
                    Value.raw(
                        utf8(
                            oneOf("[]", "null", "\"order\"", "1E+2147483647", "{}", "{\"a\":1}")))),
            w(81, "value order JSON", this::order)));
  }

  private String nestedObjects(int depth) {
    return "{\"orderId\":".repeat(depth) + "1" + "}".repeat(depth);
  }

  private Value order() {
    List<Member> members = new ArrayList<>();
    members.add(member("orderId", this::orderId));
    members.add(member("amount", this::amount));
    members.add(member("currency", this::currency));
    if (random.nextInt(100) < 90) {
      members.add(createdAt());
    } else {
      count("createdAt missing", null);
    }
    if (random.nextInt(100) < 70) {
      members.add(member("customerId", this::customerId));
    }
    if (random.nextInt(100) < 20) {
      members.add(member("region", () -> oneOf("\"west\"", "\"\"", "null", "7")));
    }
    if (random.nextInt(100) < 6) {
      count("duplicate field", null);
      Member twin =
          switch (random.nextInt(3)) {
            case 0 -> member("orderId", this::orderId);
            case 1 -> member("amount", this::amount);
            default -> createdAt();
          };
      members.add(twin);
    }
    if (random.nextInt(100) < 3) {
      members.add(new Member("padding", "\"" + "p".repeat(MB) + "\"", null, false));
      count("padding 1 MB", null);
    }
    if (random.nextInt(100) < 20) {
      Collections.shuffle(members, random);
    }
    return Value.object(members);
  }

  private Member member(String name, Supplier<String> json) {
    return new Member(name, json.get(), null, false);
  }

  private String orderId() {
    return frequencyOf(
        List.of(
            w(80, "orderId plausible", () -> "\"o-" + sequence++ + "\""),
            w(3, "orderId small pool", () -> "\"o-dup-" + random.nextInt(3) + "\""),
            w(2, "orderId empty", () -> "\"\""),
            w(2, "orderId 256-257 chars", () -> "\"" + "i".repeat(256 + random.nextInt(2)) + "\""),
            w(1, "orderId 2 MB", () -> "\"" + "i".repeat(2 * MB) + "\""),
            w(2, "orderId number", () -> oneOf("12345", "1E+2147483647", "-0", "1.5")),
            w(2, "orderId null or object", () -> oneOf("null", "{}", "[\"o\"]", "true")),
            w(2, "orderId escapes", () -> oneOf("\"\\ud800\"", "\"\\u0000\"", "\"o\\n1\""))));
  }

  private String amount() {
    return frequencyOf(
        List.of(
            w(70, "amount plausible", () -> (1 + random.nextInt(99_999)) / 100 + "." + twoDigits()),
            w(3, "amount zero", () -> oneOf("0", "0.00", "-0", "-0.0", "0E-2147483647")),
            w(
                4,
                "amount exponent near 2^31",
                () ->
                    oneOf(
                        "1E+2147483647",
                        "1E-2147483648",
                        "0E-2147483647",
                        "1E+2147483648",
                        "9E-2147483647",
                        "1e999999999",
                        "1E+100000000")),
            w(1, "amount a million digits", () -> "1".repeat(1_000_000)),
            w(1, "amount a million decimals", () -> "0." + "1".repeat(1_000_000)),
            w(
                3,
                "amount 15-16 digits",
                () -> oneOf("999999999999999.999999999", "1234567890123456")),
            w(2, "amount negative", () -> oneOf("-1", "-0.01", "-1E+2147483647")),
            w(2, "amount not a number", () -> oneOf("\"12\"", "null", "NaN", "[1]", "1.", ".5")),
            w(1, "amount huge string", () -> "\"" + "9".repeat(MB) + "\"")));
  }

  private String twoDigits() {
    return String.format("%02d", random.nextInt(100));
  }

  private String currency() {
    return frequencyOf(
        List.of(
            w(85, "currency EUR", () -> "\"EUR\""),
            w(5, "currency other valid", () -> oneOf("\"USD\"", "\"JPY\"")),
            w(5, "currency invalid", () -> oneOf("\"eur\"", "\"\"", "\"EURO\"", "1", "null")),
            w(1, "currency 100,000 chars", () -> "\"" + "E".repeat(100_000) + "\"")));
  }

  private String customerId() {
    return frequencyOf(
        List.of(
            w(80, "customerId plausible", () -> "\"c-" + random.nextInt(5) + "\""),
            w(
                5,
                "customerId 1023-1025 bytes",
                () -> "\"" + "c".repeat(1023 + random.nextInt(3)) + "\""),
            w(1, "customerId 2 MB", () -> "\"" + "c".repeat(2 * MB) + "\""),
            w(4, "customerId empty or blank", () -> oneOf("\"\"", "\" \"")),
            w(
                4,
                "customerId number",
                () -> oneOf("42", "1E+2147483647", "-0", "12345678901234567890")),
            w(3, "customerId control chars", () -> oneOf("\"\\u0000\"", "\"c\\u001f\"")),
            w(3, "customerId null or object", () -> oneOf("null", "{}", "[]"))));
  }

  private Member createdAt() {
    return frequencyOf(
        List.of(
            w(
                70,
                "createdAt as time",
                () -> new Member("createdAt", null, time("createdAt"), false)),
            w(
                8,
                "createdAt as epoch ms",
                () -> new Member("createdAt", null, time("createdAt"), true)),
            w(
                8,
                "createdAt odd text",
                () ->
                    member(
                        "createdAt",
                        () ->
                            oneOf(
                                "\"9999-12-31T23:59:59.999Z\"",
                                "\"+10000-01-01T00:00:00Z\"",
                                "\"-999999999-01-01T00:00:00Z\"",
                                "\"+1000000000-12-31T23:59:59.999999999Z\"",
                                "\"1969-12-31T23:59:59.999Z\"",
                                "\"2026-02-30T00:00:00Z\"",
                                "\"2026-06-01T00:00:00+14:00\"",
                                "\"2026-06-01T00:00:00\"",
                                "\"\"",
                                "1E+2147483647",
                                "-9223372036854775808",
                                "9223372036854775808",
                                "null"))),
            w(
                1,
                "createdAt huge string",
                () -> member("createdAt", () -> "\"" + "2".repeat(MB) + "\""))));
  }

  // ---- headers -------------------------------------------------------------------------------

  private List<Header> headers() {
    return frequencyOf(
        List.of(
            w(30, "headers none", List::<Header>of),
            w(35, "traceparent valid", () -> List.of(traceparent(validTraceparent()))),
            w(
                8,
                "traceparent and tracestate",
                () ->
                    List.of(
                        traceparent(validTraceparent()),
                        new Header("tracestate", utf8("vendor=abc,other=1")))),
            w(8, "traceparent repeated", this::repeatedTraceparents),
            w(
                5,
                "traceparent malformed",
                () -> List.of(traceparent(utf8(oneOf("00-xyz", "", "ff-" + "0".repeat(49)))))),
            w(5, "trace headers not UTF-8", this::nonUtf8TraceHeaders),
            w(3, "header value null", () -> List.of(new Header("traceparent", null))),
            w(2, "header 1 MB", () -> List.of(new Header("x-blob", utf8("h".repeat(MB))))),
            w(
                2,
                "tracestate 512 KB",
                () ->
                    List.of(
                        traceparent(validTraceparent()),
                        new Header("tracestate", utf8("v=" + "s".repeat(MB / 2))))),
            w(2, "1,000 headers", this::manyHeaders)));
  }

  private Header traceparent(byte[] value) {
    return new Header("traceparent", value);
  }

  private byte[] validTraceparent() {
    HexFormat hex = HexFormat.of();
    long high = random.nextLong() | 1;
    return utf8(
        "00-"
            + hex.toHexDigits(high)
            + hex.toHexDigits(random.nextLong())
            + "-"
            + hex.toHexDigits(random.nextLong() | 1)
            + "-01");
  }

  private List<Header> repeatedTraceparents() {
    List<Header> headers = new ArrayList<>();
    for (int i = 0, n = 2 + random.nextInt(4); i < n; i++) {
      headers.add(traceparent(random.nextBoolean() ? validTraceparent() : utf8("00-bad")));
    }
    return headers;
  }

  private List<Header> nonUtf8TraceHeaders() {
    byte[] broken = validTraceparent();
    broken[3 + random.nextInt(32)] = (byte) (0x80 + random.nextInt(0x80));
    return random.nextBoolean()
        ? List.of(traceparent(broken))
        : List.of(traceparent(validTraceparent()), new Header("tracestate", invalidUtf8()));
  }

  private List<Header> manyHeaders() {
    List<Header> headers = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      headers.add(new Header("h" + i, utf8("v" + i)));
    }
    return headers;
  }

  // ---- times ---------------------------------------------------------------------------------

  private When timestamp() {
    return time("timestamp");
  }

  /** A record timestamp or event time, relative to the wall clock or at the ends of the epoch. */
  private When time(String what) {
    return frequencyOf(
        List.of(
            w(70, what + " ordinary", () -> When.wall(-random.nextInt(5_000))),
            w(3, what + " 0", () -> When.epoch(0)),
            w(3, what + " -1", () -> When.epoch(-1)),
            w(3, what + " Long.MAX_VALUE", () -> When.epoch(Long.MAX_VALUE)),
            w(4, what + " 2 h ahead", () -> When.wall(2 * HOUR)),
            w(4, what + " 1 h ahead, +-1 ms", () -> When.wall(HOUR - 1 + random.nextInt(3))),
            w(
                3,
                what + " minutes ahead",
                () -> When.wall(MINUTE + random.nextInt((int) (30 * MINUTE)))),
            w(
                4,
                what + " days behind",
                () -> When.wall(-DAY - (long) (random.nextDouble() * 60 * DAY))),
            w(2, what + " 1969", () -> When.epoch(-1 - random.nextInt((int) DAY))),
            w(1, what + " year 9999", () -> When.epoch(253_402_300_799_999L))));
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static <T> Weighted<T> w(int weight, String label, Supplier<T> generator) {
    return new Weighted<>(weight, label, generator);
  }

  private <T> T frequencyOf(List<Weighted<T>> options) {
    int total = options.stream().mapToInt(Weighted::weight).sum();
    int roll = random.nextInt(total);
    for (Weighted<T> option : options) {
      roll -= option.weight();
      if (roll < 0) {
        return count(option.label(), option.generator().get());
      }
    }
    throw new IllegalStateException("weights changed");
  }

  private <T> T count(String label, T value) {
    labels.merge(label, 1L, Long::sum);
    return value;
  }

  @SafeVarargs
  private <T> T oneOf(T... options) {
    return options[random.nextInt(options.length)];
  }

  private byte[] bytes(int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Bytes for a failure report: {@code "text"}, non-printable bytes as \\xNN, runs as 'k'×n. */
  static String describe(byte[] bytes) {
    return describe(bytes, true);
  }

  /**
   * @param quote whether to put text in quotes: not for JSON, which has its own
   */
  static String describe(byte[] bytes, boolean quote) {
    String q = quote ? "\"" : "";
    if (bytes == null) {
      return "null";
    }
    if (bytes.length == 0) {
      return "empty";
    }
    List<String> parts = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int shown = 0;
    int i = 0;
    for (; i < bytes.length && shown < 200; ) {
      int run = 1;
      while (i + run < bytes.length && bytes[i + run] == bytes[i]) {
        run++;
      }
      String one = printable(bytes[i]);
      if (run >= 8) {
        if (literal.length() > 0) {
          parts.add(q + literal + q);
          literal.setLength(0);
        }
        parts.add("'" + one + "'×" + run);
      } else {
        literal.append(one.repeat(run));
      }
      shown += one.length() * Math.min(run, 8);
      i += run;
    }
    if (literal.length() > 0) {
      parts.add(q + literal + q);
    }
    String text = String.join("+", parts) + (i < bytes.length ? "..." : "");
    return bytes.length > 32 ? bytes.length + " bytes " + text : text;
  }

  private static String printable(byte b) {
    return b >= 0x20 && b < 0x7F && b != '\\'
        ? String.valueOf((char) b)
        : String.format("\\x%02X", b & 0xFF);
  }

  /** A record's size as {@link PoisonRecordPropertiesTest} estimates it, values rendered at 0. */
  static long estimatedSize(Poison poison) {
    byte[] value = poison.value().bytes(0);
    long size = 100 + (poison.key() == null ? 0 : poison.key().length);
    size += value == null ? 0 : value.length;
    for (Header header : poison.headers()) {
      size += header.key().length() + (header.value() == null ? 0 : header.value().length);
    }
    return size;
  }

  /** The simpler variants of a record the shrinker tries, each differing in one part. */
  static List<Poison> simpler(Poison poison) {
    List<Poison> candidates = new ArrayList<>();
    When ordinary = When.wall(0);
    if (!poison.timestamp().equals(ordinary)) {
      candidates.add(new Poison(poison.key(), poison.value(), poison.headers(), ordinary));
    }
    for (int i = 0; i < poison.headers().size(); i++) {
      List<Header> fewer = new ArrayList<>(poison.headers());
      fewer.remove(i);
      candidates.add(new Poison(poison.key(), poison.value(), fewer, poison.timestamp()));
    }
    byte[] plainKey = utf8("eu");
    if (!Arrays.equals(poison.key(), plainKey)) {
      candidates.add(new Poison(plainKey, poison.value(), poison.headers(), poison.timestamp()));
    }
    List<Member> members = poison.value().members();
    if (members != null) {
      for (int i = 0; i < members.size(); i++) {
        List<Member> fewer = new ArrayList<>(members);
        fewer.remove(i);
        candidates.add(with(poison, Value.object(fewer)));
        Member plain = plain(members.get(i).name());
        if (!members.get(i).equals(plain)) {
          List<Member> plainer = new ArrayList<>(members);
          plainer.set(i, plain);
          candidates.add(with(poison, Value.object(plainer)));
        }
      }
    } else if (poison.value().raw() != null && poison.value().raw().length > 1) {
      byte[] raw = poison.value().raw();
      candidates.add(with(poison, Value.raw(Arrays.copyOf(raw, raw.length / 2))));
    }
    return candidates;
  }

  private static Poison with(Poison poison, Value value) {
    return new Poison(poison.key(), value, poison.headers(), poison.timestamp());
  }

  private static Member plain(String name) {
    return switch (name) {
      case "orderId" -> new Member(name, "\"o-1\"", null, false);
      case "amount" -> new Member(name, "12.50", null, false);
      case "currency" -> new Member(name, "\"EUR\"", null, false);
      case "createdAt" -> new Member(name, null, When.wall(0), false);
      case "customerId" -> new Member(name, "\"c-1\"", null, false);
      default -> new Member(name, "\"x\"", null, false);
    };
  }

  /** Label counts in name order, for the run's summary. */
  static String summary(Map<String, Long> labels) {
    return new TreeMap<>(labels).toString();
  }
}
