package dev.spanlinks.app.orders;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * One step of a generated input sequence for {@link TopologyModel} and the real topology: a record
 * on the orders topic, a step of the wall clock, or a restart. A record carries its expected
 * reading ({@link Verdict}, {@link Link}), hand-labelled by the generator from the parts it was
 * built of, so the model never parses JSON or trace context itself.
 */
public sealed interface ModelEvent {

  /** An input record, and how the spec says it must be read. */
  record Send(
      byte[] key,
      byte[] value,
      List<Header> headers,
      long timestampMs,
      Verdict verdict,
      Link link,
      String description)
      implements ModelEvent {
    public Send {
      headers = List.copyOf(headers);
    }

    @Override
    public String toString() {
      return "send " + description + " ts=" + java.time.Instant.ofEpochMilli(timestampMs);
    }
  }

  /** Advance the wall clock by {@code millis} (at least the close check interval). */
  record AdvanceWall(long millis) implements ModelEvent {
    @Override
    public String toString() {
      return "wall +" + java.time.Duration.ofMillis(millis);
    }
  }

  /** Close the driver and open a new one on the same state, the wall clock where it was. */
  record Restart() implements ModelEvent {
    @Override
    public String toString() {
      return "restart";
    }
  }

  /** A Kafka header; {@code value} may be null. */
  record Header(String key, byte[] value) {
    /** Printable and comparable: text when the value is printable ASCII, else hex. */
    public String render() {
      if (value == null) {
        return key + "=null";
      }
      boolean printable = true;
      for (byte b : value) {
        printable &= b >= 0x20 && b < 0x7f;
      }
      return printable
          ? key + "=\"" + new String(value, StandardCharsets.US_ASCII) + "\""
          : key + "=0x" + java.util.HexFormat.of().formatHex(value);
    }
  }

  /** How the spec reads a record: a valid order of a batch, or a dead letter. */
  sealed interface Verdict {}

  /**
   * A valid order.
   *
   * @param createdAtMs the valid createdAt instant, or null when event time falls back to the
   *     record timestamp
   */
  record Valid(
      String batchKey, String orderId, BigDecimal amount, String currency, Long createdAtMs)
      implements Verdict {}

  /**
   * Dead-lettered before any window is involved.
   *
   * @param reasons the acceptable {@code __streams.errors.message} values; empty when any reason
   *     will do (a rule whose message is still being written)
   * @param rule a short name of the rule, for reports
   */
  record Invalid(Set<String> reasons, String rule) implements Verdict {
    public Invalid {
      reasons = Set.copyOf(reasons);
    }

    static Invalid because(String reason) {
      return new Invalid(Set.of(reason), reason);
    }

    static Invalid anyReason(String rule) {
      return new Invalid(Set.of(), rule);
    }
  }

  /**
   * The span context the W3C propagator reads from a record's headers; null for none.
   *
   * @param traceState the entries in header order, each {@code key=value}
   */
  record Link(String traceId, String spanId, String flagsHex, List<String> traceState) {
    public Link {
      traceState = List.copyOf(traceState);
    }
  }
}
