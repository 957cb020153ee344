package dev.spanlinks.streams;

/**
 * Tumbling event-time windows aligned to the epoch, and when they close.
 *
 * <p>A window {@code [start, start + size)} closes once the close time (stream time, or wall-clock
 * time on an idle task) reaches {@code start + size + grace}. Progress is kept as one boundary,
 * "closed through": every window that ends at or before it is closed.
 */
record BatchWindows(long sizeMs, long graceMs) {
  /** Nothing closed yet. */
  static final long NOTHING_CLOSED = Long.MIN_VALUE;

  BatchWindows {
    if (sizeMs < 1 || graceMs < 0) {
      throw new IllegalArgumentException("window size must be >= 1 ms and grace >= 0 ms");
    }
  }

  long startOf(long eventTimeMs) {
    return Math.floorDiv(eventTimeMs, sizeMs) * sizeMs;
  }

  /** The "closed through" boundary once time has reached {@code closeTimeMs}. */
  long closedThrough(long closeTimeMs) {
    if (closeTimeMs == Long.MIN_VALUE) {
      return NOTHING_CLOSED;
    }
    return startOf(closeTimeMs - graceMs);
  }

  /** True when the window holding {@code eventTimeMs} closed at or before {@code closedThrough}. */
  boolean isClosed(long eventTimeMs, long closedThrough) {
    return startOf(eventTimeMs) < closedThrough;
  }
}
