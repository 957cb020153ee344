package dev.spanlinks.app.orders;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One thing the topology emits, in the form both {@link TopologyModel} and a real run ({@link
 * TopologyRun}) produce, so the two compare with {@code equals}. {@code step} is the index of the
 * input event during which it was emitted.
 */
public sealed interface Outcome {
  int step();

  /** Ordering inside one step: batches, then late records, then dead letters. */
  int rank();

  /**
   * One record on the batches topic together with its spans.
   *
   * @param totals per currency, compared with {@code equals} (scale included)
   * @param links the links of the batch span and then of its chunk spans, in chunk order
   * @param issues what a real run found inconsistent between the record, its headers and its spans
   *     (ids, parents, counts); always empty in the model
   */
  record Batch(
      int step,
      String key,
      long windowStartMs,
      long orderCount,
      long linkedCount,
      long unlinkedCount,
      long duplicateCount,
      long chunkCount,
      SortedMap<String, BigDecimal> totals,
      long timestampMs,
      List<LinkOut> links,
      List<String> issues)
      implements Outcome {
    public Batch {
      totals = new TreeMap<>(totals);
      links = List.copyOf(links);
      issues = List.copyOf(issues);
    }

    @Override
    public int rank() {
      return 0;
    }

    @Override
    public String toString() {
      return "batch(step="
          + step
          + " key="
          + abbreviate(key)
          + " window="
          + java.time.Instant.ofEpochMilli(windowStartMs)
          + " orders="
          + orderCount
          + " linked="
          + linkedCount
          + " unlinked="
          + unlinkedCount
          + " duplicates="
          + duplicateCount
          + " chunks="
          + chunkCount
          + " totals="
          + totals
          + " timestamp="
          + java.time.Instant.ofEpochMilli(timestampMs)
          + " issues="
          + issues
          + " links="
          + links
          + ")";
    }
  }

  /** One link of a batch: the order's span context as read from its first delivery. */
  record LinkOut(
      String traceId, String spanId, String flagsHex, String traceState, String orderId) {
    @Override
    public String toString() {
      return abbreviate(orderId)
          + "->"
          + traceId
          + "/"
          + spanId
          + "/"
          + flagsHex
          + "/["
          + traceState
          + "]";
    }
  }

  /** One record on the late topic. */
  record Late(int step, String key, String orderId, long timestampMs, List<String> headers)
      implements Outcome {
    public Late {
      headers = List.copyOf(headers);
    }

    @Override
    public int rank() {
      return 1;
    }

    @Override
    public String toString() {
      return "late(step="
          + step
          + " key="
          + abbreviate(key)
          + " order="
          + abbreviate(orderId)
          + " timestamp="
          + java.time.Instant.ofEpochMilli(timestampMs)
          + " headers="
          + headers
          + ")";
    }
  }

  /**
   * One record on the dead-letter topic.
   *
   * @param key digest of the raw key bytes ({@link #digest})
   * @param value digest of the raw value bytes
   * @param headers the record's headers other than {@code __streams.errors.*}
   * @param reason {@code __streams.errors.message}; in the model, the acceptable values joined with
   *     {@value #OR}, or {@value #ANY_REASON}
   */
  record DeadLetter(int step, String key, String value, List<String> headers, String reason)
      implements Outcome {
    static final String ANY_REASON = "*";
    static final String OR = " | ";

    public DeadLetter {
      headers = List.copyOf(headers);
    }

    @Override
    public int rank() {
      return 2;
    }

    /** This expected dead letter with {@code actualReason} when that is one it accepts. */
    public DeadLetter acceptingReason(String actualReason) {
      boolean accepted =
          reason.equals(ANY_REASON)
              || List.of(reason.split("\\Q" + OR + "\\E")).contains(actualReason);
      return accepted ? new DeadLetter(step, key, value, headers, actualReason) : this;
    }
  }

  /** Length, a printable prefix and a SHA-256 prefix: exact enough to compare, short to print. */
  static String digest(byte[] bytes) {
    if (bytes == null) {
      return "null";
    }
    try {
      byte[] sha = MessageDigest.getInstance("SHA-256").digest(bytes);
      String text = new String(bytes, 0, Math.min(bytes.length, 40), StandardCharsets.UTF_8);
      return bytes.length
          + "B:"
          + text.replaceAll("[^\\x20-\\x7e]", "?")
          + ":"
          + HexFormat.of().formatHex(sha, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Printable: non-ASCII characters as {@code \\uXXXX} escapes, long text cut short. */
  static String abbreviate(String text) {
    if (text == null) {
      return "null";
    }
    StringBuilder printable = new StringBuilder();
    for (int i = 0; i < text.length() && printable.length() < 80; i++) {
      char c = text.charAt(i);
      printable.append(
          c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return text.length() <= 60
        ? printable.toString()
        : printable.substring(0, Math.min(40, printable.length()))
            + "...("
            + text.length()
            + " chars, hash "
            + text.hashCode()
            + ")";
  }
}
