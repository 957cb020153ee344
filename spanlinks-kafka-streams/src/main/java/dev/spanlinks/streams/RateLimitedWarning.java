package dev.spanlinks.streams;

import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * A per-record warning written at most once per {@value #INTERVAL_SECONDS} s, with the count of
 * those left out since: thousands of late or invalid orders an hour must not bury the log. Every
 * record is still counted in a metric.
 */
final class RateLimitedWarning {
  static final long INTERVAL_SECONDS = 10;

  private final Logger log;
  private final String message;
  private long lastNanos;
  private long leftOut;
  private boolean written;

  /**
   * @param message an SLF4J message with placeholders for the arguments of {@link #warn}
   */
  RateLimitedWarning(Logger log, String message) {
    this.log = log;
    this.message = message;
  }

  /** Writes the warning, or counts it when one was written less than the interval ago. */
  synchronized void warn(Object... arguments) {
    long now = System.nanoTime();
    if (written && now - lastNanos < TimeUnit.SECONDS.toNanos(INTERVAL_SECONDS)) {
      leftOut++;
      return;
    }
    if (leftOut > 0) {
      Object[] withCount = new Object[arguments.length + 1];
      System.arraycopy(arguments, 0, withCount, 0, arguments.length);
      withCount[arguments.length] = leftOut;
      log.warn(message + " (and {} more like it since the last such line)", withCount);
    } else {
      log.warn(message, arguments);
    }
    written = true;
    lastNanos = now;
    leftOut = 0;
  }
}
