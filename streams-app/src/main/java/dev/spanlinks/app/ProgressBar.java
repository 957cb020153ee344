package dev.spanlinks.app;

import dev.spanlinks.app.replay.Progress;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * A one-line progress bar on stderr: records done of the total, rate and time left, redrawn at most
 * five times a second. Drawn only on a terminal; the final summary line is always written.
 */
final class ProgressBar implements Progress {
  private static final long REDRAW_NANOS = Duration.ofMillis(200).toNanos();
  private static final int WIDTH = 24;

  private final PrintWriter err;
  private final String label;
  private final boolean draw;
  private final long startNanos = System.nanoTime();
  private long total = -1;
  private long done;
  private long lastDrawNanos;
  private int lastLineLength;

  /**
   * @param draw false when stderr is no terminal, or the user asked for quiet
   */
  ProgressBar(PrintWriter err, String label, boolean draw) {
    this.err = err;
    this.label = label;
    this.draw = draw;
  }

  /** A bar drawn only when this process talks to a terminal and the user did not ask for quiet. */
  static ProgressBar forTerminal(PrintWriter err, String label, boolean quiet) {
    return new ProgressBar(err, label, !quiet && System.console() != null);
  }

  @Override
  public synchronized void total(long records) {
    total = records;
  }

  @Override
  public synchronized void advance(long records) {
    done += records;
    long now = System.nanoTime();
    if (draw && now - lastDrawNanos >= REDRAW_NANOS) {
      lastDrawNanos = now;
      String line = line(now);
      err.print("\r" + line + " ".repeat(Math.max(0, lastLineLength - line.length())));
      err.flush();
      lastLineLength = line.length();
    }
  }

  /** Records per second since the start. */
  synchronized double rate() {
    double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
    return done / seconds;
  }

  synchronized Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /** Replaces the bar with the summary line, which is written whether the bar was drawn or not. */
  synchronized void finish(String summary) {
    if (draw && lastLineLength > 0) {
      err.print("\r" + " ".repeat(lastLineLength) + "\r");
    }
    err.println(summary);
    err.flush();
  }

  String line(long nowNanos) {
    double seconds = Math.max(1e-3, (nowNanos - startNanos) / 1e9);
    double rate = done / seconds;
    StringBuilder line = new StringBuilder(label).append(' ');
    if (total > 0) {
      int filled = (int) Math.min(WIDTH, WIDTH * done / total);
      line.append('[')
          .append("#".repeat(filled))
          .append(".".repeat(WIDTH - filled))
          .append("] ")
          .append(String.format(Locale.ROOT, "%,d/%,d %3d%%", done, total, 100 * done / total));
    } else {
      line.append(String.format(Locale.ROOT, "%,d", done));
    }
    line.append(String.format(Locale.ROOT, " %,.0f rec/s", rate));
    if (total > 0 && rate > 0 && done < total) {
      line.append(" ETA ").append(clock((long) ((total - done) / rate)));
    }
    return line.toString();
  }

  static String clock(long seconds) {
    return seconds >= 3600
        ? String.format(
            Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
        : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
  }
}
