package dev.spanlinks.app.orders;

import dev.spanlinks.app.orders.LabelledVariants.Envelope;
import dev.spanlinks.app.orders.LabelledVariants.Key;
import dev.spanlinks.app.orders.LabelledVariants.Traceparent;
import dev.spanlinks.app.orders.LabelledVariants.Tracestate;
import dev.spanlinks.app.orders.ModelEvent.Header;
import dev.spanlinks.app.orders.ModelEvent.Invalid;
import dev.spanlinks.app.orders.ModelEvent.Send;
import dev.spanlinks.app.orders.OrderFields.Part;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Generates input sequences from a seed: orders for a few keys or (large cases) for up to 20,000,
 * arriving in and out of order, within grace and late, redelivered, invalid in every labelled way,
 * with traceparent and tracestate variants, steps of the wall clock (idle gaps among them) and
 * restarts. The same seed always gives the same sequence.
 */
public final class ModelGenerator {
  public static final long SECOND = 1_000;
  public static final long MINUTE = 60 * SECOND;
  public static final long HOUR = 60 * MINUTE;
  public static final long DAY = 24 * HOUR;

  /**
   * Which groups of variants a run generates; all by default. Leaving one out isolates the failures
   * of one rule: {@code ahead} (event times ahead of the wall clock), {@code newAmount}, {@code
   * newCreatedAt}, {@code exponentOverflow}, {@code trailingJson}, {@code loneSurrogate}, {@code
   * restart}, {@code bigValues}.
   */
  public record Features(Set<String> excluded) {
    static final Features ALL = new Features(Set.of());

    boolean on(String feature) {
      return feature == null || !excluded.contains(feature);
    }
  }

  /** A generated order's parts, kept to redeliver it in variations. */
  private record Order(Key key, String orderId, String orderIdJson, long eventTimeMs) {}

  private final Random random;
  private final Features features;
  private final OrderFields fields;
  private final long maxFutureMs;
  private final List<ModelEvent> events = new ArrayList<>();
  private final List<Send> sent = new ArrayList<>();
  private final List<Order> orders = new ArrayList<>();
  private List<Key> keys;
  private long wallMs;
  private long lagMs;
  private long latestEventMs;
  private int sequence;

  private ModelGenerator(long seed, Features features, long wallStartMs, long maxFutureMs) {
    this.random = new Random(seed);
    this.features = features;
    this.fields = new OrderFields(random, features::on);
    this.wallMs = wallStartMs;
    this.latestEventMs = wallStartMs - 10 * MINUTE;
    this.maxFutureMs = maxFutureMs;
  }

  /** The input sequence of case {@code seed}; {@code large}: 100 to 20,000 keys in an hour. */
  public static List<ModelEvent> generate(
      long seed, boolean large, Features features, long wallStartMs, long maxFutureMs) {
    ModelGenerator generator = new ModelGenerator(seed, features, wallStartMs, maxFutureMs);
    if (large) {
      generator.largeCase();
    } else {
      generator.smallCase();
    }
    return List.copyOf(generator.events);
  }

  private boolean chance(int percent) {
    return random.nextInt(100) < percent;
  }

  private long between(long low, long high) {
    return low + (long) (random.nextDouble() * (high - low));
  }

  // ---- case shapes ---------------------------------------------------------------------------

  private void smallCase() {
    keys =
        keyPool(
            chance(60)
                ? 1 + random.nextInt(3)
                : chance(75) ? 4 + random.nextInt(9) : 13 + random.nextInt(90));
    lagMs = chance(80) ? 0 : between(DAY, 30 * DAY);
    int roll = random.nextInt(100);
    int steps =
        roll < 70
            ? 1 + random.nextInt(40)
            : roll < 95 ? 40 + random.nextInt(260) : 300 + random.nextInt(1200);
    while (events.size() < steps) {
      int action = random.nextInt(1000);
      if (action < 520) {
        sendOrder(anyKey(), eventTime());
      } else if (action < 600 && !orders.isEmpty()) {
        redeliver();
      } else if (action < 680) {
        sendInvalidOrder();
      } else if (action < 730) {
        sendHostileRecord();
      } else if (action < 770) {
        burst();
      } else if (action < 900) {
        advance(between(SECOND, 60 * SECOND));
      } else if (action < 930) {
        advance(oneOf(List.of(59 * SECOND, 60 * SECOND, 61 * SECOND)));
      } else if (action < 985) {
        advance(between(MINUTE, 3 * HOUR)); // an idle gap
      } else if (features.on("restart")) {
        events.add(new ModelEvent.Restart());
      }
    }
  }

  /** One hour with hundreds to thousands of keys: 1 to 3 orders each, some redelivered. */
  private void largeCase() {
    int keyCount = (int) Math.round(100 * Math.pow(200, random.nextDouble())); // 100 to 20,000
    keys = new ArrayList<>();
    for (int i = 0; i < keyCount; i++) {
      keys.add(new Key("k" + i, 1, ("k" + i).getBytes(StandardCharsets.UTF_8), "k" + i, null));
    }
    long hour = Math.floorDiv(wallMs, HOUR) * HOUR - HOUR;
    List<Runnable> sends = new ArrayList<>();
    for (Key key : keys) {
      int count = chance(70) ? 1 : 2 + random.nextInt(2);
      for (int i = 0; i < count; i++) {
        long eventTime = hour + between(0, HOUR);
        sends.add(() -> sendPlainOrder(key, eventTime));
      }
    }
    Collections.shuffle(sends, random);
    int restartAt = chance(30) && features.on("restart") ? random.nextInt(sends.size()) : -1;
    for (int i = 0; i < sends.size(); i++) {
      sends.get(i).run();
      if (chance(2)) {
        redeliver();
      }
      if (i == restartAt) {
        events.add(new ModelEvent.Restart());
      }
    }
    advance(between(SECOND, 30 * SECOND));
  }

  private List<Key> keyPool(int size) {
    List<Key> pool = new ArrayList<>();
    List<String> names = List.of("eu", "us", "apac", "latam", "mea");
    for (int i = 0; i < size; i++) {
      String name = i < names.size() ? names.get(i) : "k" + i;
      pool.add(new Key(name, 1, name.getBytes(StandardCharsets.UTF_8), name, null));
    }
    if (chance(25)) {
      pool.add(LabelledVariants.pick(random, LabelledVariants.ODD_KEYS));
    }
    if (chance(10)) {
      // Two raw keys that decode to the same batch key: eu FF and eu FE.
      pool.add(LabelledVariants.ODD_KEYS.get(8));
      pool.add(LabelledVariants.ODD_KEYS.get(9));
    }
    return pool;
  }

  private Key anyKey() {
    return keys.get(random.nextInt(keys.size()));
  }

  private <T> T oneOf(List<T> options) {
    return options.get(random.nextInt(options.size()));
  }

  // ---- time ----------------------------------------------------------------------------------

  private void advance(long millis) {
    events.add(new ModelEvent.AdvanceWall(millis));
    wallMs += millis;
  }

  /** An event time: mostly just behind the wall clock, sometimes at the edges that matter. */
  private long eventTime() {
    long now = wallMs - lagMs;
    int roll = random.nextInt(1000);
    long time;
    if (roll < 600) {
      time = now - between(0, 10 * MINUTE);
    } else if (roll < 660) {
      long boundary = Math.floorDiv(now, HOUR) * HOUR + (chance(50) ? 0 : 5 * MINUTE - HOUR);
      time = boundary + oneOf(List.of(-1L, 0L, 1L));
    } else if (roll < 760) {
      time = latestEventMs - between(0, 6 * MINUTE); // within grace, or just past it
    } else if (roll < 810) {
      time = latestEventMs - between(HOUR, 6 * HOUR); // late
    } else if (roll < 880 && features.on("ahead")) {
      time =
          chance(80)
              ? wallMs + between(SECOND, maxFutureMs)
              : wallMs + maxFutureMs + (chance(50) ? 0 : 1);
    } else if (roll < 910) {
      time = wallMs - between(2 * DAY, 60 * DAY);
    } else if (roll < 930) {
      time = java.time.Instant.parse("2100-01-01T00:00:00Z").toEpochMilli(); // dead-lettered
    } else if (roll < 940) {
      time = chance(50) ? 0 : Long.MAX_VALUE; // the first and the last epoch millisecond
    } else {
      time = now - between(0, MINUTE);
    }
    if (!features.on("ahead") && time > wallMs && time - wallMs <= maxFutureMs) {
      time = wallMs;
    }
    if (time <= wallMs + maxFutureMs) {
      latestEventMs = Math.max(latestEventMs, time);
    }
    return time;
  }

  // ---- records -------------------------------------------------------------------------------

  private String freshOrderId() {
    return "o-" + sequence++;
  }

  private void sendOrder(Key key, long eventTime) {
    Part<String> id = fields.orderId(freshOrderId());
    orders.add(new Order(key, id.value(), id.json(), eventTime));
    send(
        key,
        id,
        eventTime,
        null,
        LabelledVariants.pick(random, LabelledVariants.GOOD_ENVELOPES),
        null);
  }

  /** Large cases: no padded values, or the sequence would hold gigabytes. */
  private void sendPlainOrder(Key key, long eventTime) {
    Part<String> id = fields.orderId(freshOrderId());
    orders.add(new Order(key, id.value(), id.json(), eventTime));
    send(key, id, eventTime, null, LabelledVariants.GOOD_ENVELOPES.get(0), null);
  }

  private void burst() {
    Key key = anyKey();
    long around = eventTime();
    int count = 8 + random.nextInt(40);
    for (int i = 0; i < count; i++) {
      sendOrder(key, Math.max(0, around - between(0, 2 * MINUTE)));
    }
  }

  /** The same order again: exactly, or with the same id in another batch or with other fields. */
  private void redeliver() {
    if (orders.isEmpty()) {
      return;
    }
    int roll = random.nextInt(100);
    if (roll < 50 && !sent.isEmpty()) {
      events.add(sent.get(random.nextInt(sent.size())));
      return;
    }
    Order earlier = orders.get(random.nextInt(orders.size()));
    Part<String> id = Part.valid("redelivered id", earlier.orderIdJson(), earlier.orderId());
    Key key = roll < 65 ? anyKey() : earlier.key();
    long eventTime = earlier.eventTimeMs();
    if (roll >= 65 && roll < 80 && eventTime > 6 * HOUR && eventTime < Long.MAX_VALUE - 6 * HOUR) {
      // Another hour, never ahead of the wall clock: that is the "ahead" feature's business.
      long shift = between(HOUR, 3 * HOUR);
      eventTime = chance(50) && eventTime + shift <= wallMs ? eventTime + shift : eventTime - shift;
    }
    send(
        key,
        id,
        eventTime,
        null,
        LabelledVariants.pick(random, LabelledVariants.GOOD_ENVELOPES),
        null);
  }

  /** A well-formed order with one field (sometimes two) that breaks a rule. */
  private void sendInvalidOrder() {
    List<String> broken = new ArrayList<>();
    broken.add(
        oneOf(
            List.of(
                "orderId", "customerId", "region", "amount", "amount", "currency", "createdAt")));
    if (chance(20)) {
      broken.add(
          oneOf(List.of("orderId", "customerId", "region", "amount", "currency", "createdAt")));
    }
    if (!features.on("newCreatedAt")) {
      broken.removeIf("createdAt"::equals);
    }
    send(
        anyKey(),
        fields.orderId(freshOrderId()),
        eventTime(),
        broken,
        LabelledVariants.pick(random, LabelledVariants.GOOD_ENVELOPES),
        null);
  }

  /** A record that is no order whatever its fields: a bad key or a bad value. */
  private void sendHostileRecord() {
    if (chance(35)) {
      Key bad = LabelledVariants.pick(random, LabelledVariants.BAD_KEYS);
      send(
          bad,
          fields.orderId(freshOrderId()),
          eventTime(),
          null,
          LabelledVariants.pick(random, LabelledVariants.GOOD_ENVELOPES),
          null);
      return;
    }
    Envelope envelope;
    do {
      envelope = LabelledVariants.pick(random, LabelledVariants.BAD_ENVELOPES);
    } while (!features.on(envelope.feature()));
    send(anyKey(), fields.orderId(freshOrderId()), eventTime(), null, envelope, envelope.invalid());
  }

  /**
   * Builds the record and its labels. The spec's order of checks: key, then the value as JSON
   * ({@code envelopeInvalid}), then orderId, customerId, region, amount, currency, createdAt.
   */
  private void send(
      Key key,
      Part<String> orderId,
      long eventTime,
      List<String> broken,
      Envelope envelope,
      Invalid envelopeInvalid) {
    if (!features.on(envelope.feature())) {
      envelope = LabelledVariants.GOOD_ENVELOPES.get(0);
    }
    List<String> brokenFields = broken == null ? List.of() : broken;
    Part<String> id = brokenFields.contains("orderId") ? fields.badOrderId() : orderId;
    Part<String> customer =
        brokenFields.contains("customerId")
            ? fields.badOptionalText("customerId")
            : fields.optionalText("customerId", "c-" + random.nextInt(100));
    Part<String> region =
        brokenFields.contains("region")
            ? fields.badOptionalText("region")
            : fields.optionalText("region", "west");
    Part<BigDecimal> amount =
        brokenFields.contains("amount") ? fields.badAmount() : fields.amount();
    Part<String> currency =
        brokenFields.contains("currency") ? fields.badCurrency() : fields.currency();
    Part<Long> createdAt =
        brokenFields.contains("createdAt") ? fields.badCreatedAt() : fields.createdAt(eventTime);
    long timestamp =
        createdAt.invalid() == null && createdAt.value() == null
            ? eventTime
            : Math.max(0, wallMs - between(-30 * MINUTE, 2 * HOUR));
    if (timestamp < 0 || eventTime < 0) {
      throw new IllegalStateException("negative time");
    }

    List<Part<?>> parts =
        new ArrayList<>(List.of(id, customer, region, amount, currency, createdAt));
    List<String> names =
        List.of("orderId", "customerId", "region", "amount", "currency", "createdAt");
    List<String> members = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      if (parts.get(i).json() != null) {
        members.add("\"" + names.get(i) + "\":" + parts.get(i).json());
      }
    }
    Collections.shuffle(members, random);
    String json = "{" + String.join(",", members) + "}";
    byte[] value = envelope.wrapper().wrap(json, random);

    ModelEvent.Verdict verdict;
    if (key.invalid() != null) {
      verdict = key.invalid();
    } else if (envelopeInvalid != null) {
      verdict = envelopeInvalid;
    } else if (parts.stream().anyMatch(Part::wholeValue)) {
      verdict = parts.stream().filter(Part::wholeValue).findFirst().orElseThrow().invalid();
    } else {
      Invalid first =
          parts.stream().map(Part::invalid).filter(i -> i != null).findFirst().orElse(null);
      verdict =
          first != null
              ? first
              : new ModelEvent.Valid(
                  key.batchKey(), id.value(), amount.value(), currency.value(), createdAt.value());
    }

    Traceparent traceparent = LabelledVariants.pick(random, LabelledVariants.TRACEPARENTS);
    String traceId = randomHex(16);
    String spanId = randomHex(8);
    List<Header> headers = new ArrayList<>(traceparent.writer().headers(traceId, spanId));
    Tracestate tracestate = LabelledVariants.pick(random, LabelledVariants.TRACESTATES);
    if (tracestate.header() != null) {
      headers.add(new Header("tracestate", tracestate.header().getBytes(StandardCharsets.UTF_8)));
    }
    if (chance(10)) {
      headers.add(
          0,
          new Header("x-origin", chance(50) ? null : "checkout".getBytes(StandardCharsets.UTF_8)));
    }
    ModelEvent.Link link =
        traceparent.flags() == null
            ? null
            : new ModelEvent.Link(traceId, spanId, traceparent.flags(), tracestate.entries());

    String description =
        "key="
            + key.name()
            + " ["
            + envelope.name()
            + "] "
            + describe(json)
            + " traceparent="
            + traceparent.name()
            + " tracestate="
            + tracestate.name()
            + " -> "
            + verdictText(verdict);
    Send record = new Send(key.bytes(), value, headers, timestamp, verdict, link, description);
    events.add(record);
    if (verdict instanceof ModelEvent.Valid) {
      sent.add(record);
    }
  }

  private static String describe(String json) {
    return json.length() <= 300
        ? json
        : json.substring(0, 150)
            + "...("
            + json.length()
            + " chars)..."
            + json.substring(json.length() - 100);
  }

  private static String verdictText(ModelEvent.Verdict verdict) {
    if (verdict instanceof Invalid invalid) {
      return "dead letter (" + invalid.rule() + ")";
    }
    ModelEvent.Valid valid = (ModelEvent.Valid) verdict;
    return "order "
        + Outcome.abbreviate(valid.orderId())
        + " of batch key "
        + Outcome.abbreviate(valid.batchKey());
  }

  private String randomHex(int bytes) {
    byte[] id = new byte[bytes];
    random.nextBytes(id);
    id[bytes - 1] |= 1; // never all zeros
    return HexFormat.of().formatHex(id);
  }
}
