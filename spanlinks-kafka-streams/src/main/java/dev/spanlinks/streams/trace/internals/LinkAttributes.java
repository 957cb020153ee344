package dev.spanlinks.streams.trace.internals;

import java.util.Locale;

/**
 * What each span link carries besides the order's span context ({@code spanlinks.link.attributes}).
 * Attributes every link of a batch shares (the record key, and the partition unless the orders were
 * repartitioned) go on the batch and chunk spans once instead.
 */
public enum LinkAttributes {
  /** The span context only: the smallest traces (about 40 bytes of OTLP a link). */
  NONE,
  /**
   * The order's offset ({@code messaging.kafka.offset}), and its partition when the batch's orders
   * can come from several (with {@code spanlinks.repartition.by.key}): with the batch span's
   * partition, enough to find the order's record.
   */
  STANDARD,
  /** Offset, partition, record key, order id and event time on every link. */
  ALL;

  /** The setting's value for this choice. */
  public String configValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * @throws IllegalArgumentException for anything but {@code none}, {@code standard} or {@code all}
   */
  public static LinkAttributes fromConfig(String value) {
    return valueOf(value.trim().toUpperCase(Locale.ROOT));
  }
}
