package dev.spanlinks.app.orders;

import dev.spanlinks.app.orders.ModelEvent.Invalid;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Predicate;

/**
 * Hand-labelled menus for the fields of an order value: each draw is a JSON fragment and what the
 * spec reads from it, a value or the rule it breaks. {@code feature} names let a run leave out the
 * variants of one rule ({@link ModelGenerator.Features}).
 */
final class OrderFields {
  static final int MAX_ID = 256;

  /**
   * One field: {@code json} is the fragment after the colon, or null when the field is absent.
   * {@code value} is what a valid field reads as; {@code invalid} is set instead when the field
   * breaks a rule. {@code wholeValue} marks a fragment the JSON parser itself refuses (past one of
   * its limits): then the value as a whole is rejected, before any field is looked at.
   */
  record Part<T>(String name, String json, T value, Invalid invalid, boolean wholeValue) {
    static <T> Part<T> valid(String name, String json, T value) {
      return new Part<>(name, json, value, null, false);
    }

    static <T> Part<T> bad(String name, String json, String reason) {
      return new Part<>(name, json, null, Invalid.because(reason), false);
    }

    static <T> Part<T> badAnyReason(String name, String json) {
      return new Part<>(name, json, null, Invalid.anyReason(name), false);
    }
  }

  private final Random random;
  private final Predicate<String> featureOn;

  OrderFields(Random random, Predicate<String> featureOn) {
    this.random = random;
    this.featureOn = featureOn;
  }

  private boolean chance(int percent) {
    return random.nextInt(100) < percent;
  }

  private <T> T oneOf(List<T> options) {
    return options.get(random.nextInt(options.size()));
  }

  private static String quoted(String text) {
    return "\"" + text + "\"";
  }

  // ---- orderId -------------------------------------------------------------------------------

  Part<String> orderId(String fresh) {
    int roll = random.nextInt(100);
    if (roll < 90) {
      return Part.valid("plain id", quoted(fresh), fresh);
    } else if (roll < 93) {
      String id = "I".repeat(MAX_ID - fresh.length()) + fresh;
      return Part.valid("256-character id", quoted(id), id);
    } else if (roll < 95) {
      return Part.valid(
          "id with accents", quoted("bestellung-ü-" + fresh), "bestellung-ü-" + fresh);
    } else if (roll < 97) {
      return Part.valid("id with an escaped NUL", quoted("\\u0000" + fresh), "\u0000" + fresh);
    } else if (roll < 99 || !featureOn.test("loneSurrogate")) {
      return Part.valid(
          "id with quote and backslash", quoted("q\\\"\\\\" + fresh), "q\"\\" + fresh);
    }
    // Two distinct ids that differ only in an unpaired surrogate (JSON allows the escape).
    return chance(50)
        ? Part.valid("lone surrogate D800", quoted("o-\\ud800"), "o-\ud800")
        : Part.valid("lone surrogate DBFF", quoted("o-\\udbff"), "o-\udbff");
  }

  Part<String> badOrderId() {
    String missing = "orderId is missing";
    String notString = "orderId must be a non-empty string";
    return oneOf(
        List.of(
            Part.bad("orderId absent", null, missing),
            Part.bad("orderId null", "null", missing),
            Part.bad("orderId number", "42", notString),
            Part.bad("orderId empty", "\"\"", notString),
            Part.bad("orderId blank", "\"   \"", notString),
            Part.bad("orderId object", "{}", notString),
            Part.bad("orderId true", "true", notString),
            Part.bad(
                "orderId of 257 characters",
                quoted("x".repeat(MAX_ID + 1)),
                "orderId is longer than 256 characters")));
  }

  // ---- customerId, region --------------------------------------------------------------------

  Part<String> optionalText(String field, String plain) {
    int roll = random.nextInt(100);
    if (roll < 50) {
      return Part.valid(field + " absent", null, null);
    } else if (roll < 92) {
      return Part.valid(field, quoted(plain), plain);
    } else if (roll < 96) {
      return Part.valid(field + " null", "null", null);
    }
    return Part.valid(field + " of 256 characters", quoted("c".repeat(MAX_ID)), null);
  }

  Part<String> badOptionalText(String field) {
    String reason = field + " must be a string of at most 256 characters";
    return oneOf(
        List.of(
            Part.bad(field + " of 257 characters", quoted("c".repeat(MAX_ID + 1)), reason),
            Part.bad(field + " number", "7", reason),
            Part.bad(field + " array", "[\"a\"]", reason)));
  }

  // ---- amount --------------------------------------------------------------------------------

  /** Valid per the spec: at most 15 digits before the point and 9 after it, trailing zeros free. */
  private static final List<String> EDGE_AMOUNTS =
      List.of(
          "0",
          "-0",
          "-0.0",
          "0.0",
          "1e3",
          "1.5E2",
          "125e-2",
          "12.5000000000000",
          "999999999999999.999999999",
          "1e14",
          "9.99999999999999E14",
          "1e-9",
          "100e-11",
          "0e999999999",
          "1." + "0".repeat(900));

  /** Too many digits before or after the point (new rule; its message is not fixed yet). */
  private static final List<String> TOO_PRECISE_AMOUNTS =
      List.of(
          "1e999999999",
          "1e-999999999",
          "9".repeat(900),
          "0." + "0".repeat(900) + "1",
          "1e15",
          "1000000000000000",
          "1e-10",
          "0.0000000001",
          "12.3456789012",
          "9999999999999999.5");

  Part<BigDecimal> amount() {
    if (chance(90)) {
      String literal = randomAmount();
      return Part.valid("amount", literal, new BigDecimal(literal));
    }
    String literal = oneOf(EDGE_AMOUNTS);
    return Part.valid("amount " + abbreviate(literal), literal, new BigDecimal(literal));
  }

  private String randomAmount() {
    int integerDigits = chance(85) ? 1 + random.nextInt(4) : 1 + random.nextInt(15);
    StringBuilder literal = new StringBuilder();
    literal.append(integerDigits == 1 ? random.nextInt(10) : 1 + random.nextInt(9));
    for (int i = 1; i < integerDigits; i++) {
      literal.append(random.nextInt(10));
    }
    int fractionDigits = chance(70) ? random.nextInt(3) : random.nextInt(10);
    if (fractionDigits > 0) {
      literal.append('.');
      for (int i = 0; i < fractionDigits; i++) {
        literal.append(random.nextInt(10));
      }
    }
    return literal.toString();
  }

  Part<BigDecimal> badAmount() {
    int roll = random.nextInt(100);
    if (roll < 35 && featureOn.test("newAmount")) {
      String literal = oneOf(TOO_PRECISE_AMOUNTS);
      return Part.badAnyReason("amount " + abbreviate(literal) + " (new digit rule)", literal);
    } else if (roll < 45 && featureOn.test("exponentOverflow")) {
      // No BigDecimal holds it: the reader refuses the whole value ("value holds a number out of
      // any representable range"), before any field rule, whatever the other fields hold.
      String literal = oneOf(List.of("1e9999999999", "1e-2147483648"));
      return new Part<>(
          "amount " + literal + " (exponent beyond int)",
          literal,
          null,
          Invalid.anyReason("exponent beyond int"),
          true);
    } else if (roll < 50) {
      // Past Jackson's limit of 1,000 characters per number: the parser rejects the whole value
      // (today "value is not valid JSON"), whatever the other fields hold.
      return new Part<>(
          "amount of 1001 digits", "9".repeat(1001), null, Invalid.anyReason("1001 digits"), true);
    }
    String negative = "amount must not be negative";
    String notNumber = "amount must be a JSON number";
    String missing = "amount is missing";
    return oneOf(
        List.of(
            Part.bad("amount -1", "-1", negative),
            Part.bad("amount -0.01", "-0.01", negative),
            Part.bad("amount -1e999999999", "-1e999999999", negative),
            Part.bad("amount as string", "\"12.50\"", notNumber),
            Part.bad("amount true", "true", notNumber),
            Part.bad("amount array", "[1]", notNumber),
            Part.bad("amount object", "{}", notNumber),
            Part.bad("amount null", "null", missing),
            Part.bad("amount absent", null, missing)));
  }

  // ---- currency ------------------------------------------------------------------------------

  Part<String> currency() {
    int roll = random.nextInt(100);
    String code = roll < 60 ? "EUR" : roll < 80 ? "USD" : roll < 92 ? "JPY" : "CHF";
    return Part.valid("currency", quoted(code), code);
  }

  Part<String> badCurrency() {
    String reason = "currency must be three upper-case letters";
    return oneOf(
        List.of(
            Part.bad("currency eur", "\"eur\"", reason),
            Part.bad("currency EURO", "\"EURO\"", reason),
            Part.bad("currency E1R", "\"E1R\"", reason),
            Part.bad("currency ÄÖÜ", "\"ÄÖÜ\"", reason),
            Part.bad("currency empty", "\"\"", reason),
            Part.bad("currency number", "978", reason),
            Part.bad("currency null", "null", "currency is missing"),
            Part.bad("currency absent", null, "currency is missing")));
  }

  // ---- createdAt -----------------------------------------------------------------------------

  private static final DateTimeFormatter WITH_OFFSET =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSXXX", Locale.ROOT);

  /**
   * createdAt for event time {@code eventTimeMs}. A null value means event time falls back to the
   * record timestamp, which the caller then sets to {@code eventTimeMs}.
   */
  Part<Long> createdAt(long eventTimeMs) {
    Instant at = Instant.ofEpochMilli(eventTimeMs);
    boolean ordinary = eventTimeMs >= 0 && eventTimeMs < 32_503_680_000_000L; // before year 3000
    int roll = ordinary ? random.nextInt(100) : 0;
    if (roll < 75) {
      return Part.valid("createdAt", quoted(at.toString()), eventTimeMs);
    } else if (roll < 79) {
      String nanos = at.plusNanos(1 + random.nextInt(999_999)).toString();
      return Part.valid("createdAt with nanoseconds", quoted(nanos), eventTimeMs);
    } else if (roll < 83) {
      ZoneOffset offset = chance(50) ? ZoneOffset.ofHours(1) : ZoneOffset.ofHoursMinutes(-5, -30);
      String text = WITH_OFFSET.format(at.atOffset(offset));
      return Part.valid("createdAt with offset " + offset, quoted(text), eventTimeMs);
    } else if (roll < 85) {
      String lower = at.toString().replace('T', 't').replace('Z', 'z');
      return Part.valid("createdAt in lower case", quoted(lower), eventTimeMs);
    }
    return oneOf(
        List.of(
            Part.<Long>valid("createdAt absent", null, null),
            Part.<Long>valid("createdAt absent", null, null),
            Part.<Long>valid("createdAt null", "null", null),
            Part.<Long>valid("createdAt a number", Long.toString(eventTimeMs), null),
            Part.<Long>valid("createdAt 'yesterday'", "\"yesterday\"", null),
            Part.<Long>valid("createdAt 30 February", "\"2026-02-30T00:00:00Z\"", null),
            Part.<Long>valid("createdAt without seconds", "\"2026-03-01T00:00Z\"", null),
            Part.<Long>valid("createdAt empty", "\"\"", null)));
  }

  /** An ISO instant before 1970 or beyond epoch milliseconds (new rule). */
  Part<Long> badCreatedAt() {
    String text =
        oneOf(
            List.of(
                "1969-12-31T23:59:59.999Z",
                "0000-01-01T00:00:00Z",
                "-1000000000-01-01T00:00:00Z",
                "+1000000000-12-31T23:59:59.999999999Z",
                "+292278994-08-17T07:12:55.808Z"));
    return Part.badAnyReason("createdAt " + text + " (new range rule)", quoted(text));
  }

  static String abbreviate(String text) {
    return text.length() <= 24 ? text : text.substring(0, 12) + "...(" + text.length() + ")";
  }
}
