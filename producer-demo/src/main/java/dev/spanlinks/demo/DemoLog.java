package dev.spanlinks.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo's log file. While installed, everything written to {@code System.err} (where
 * slf4j-simple, the jar's SLF4J binding, logs) goes to the file, and the console gets only the
 * warnings and errors the demo did not cause on purpose. It sends invalid orders on purpose, and a
 * screen of {@code WARN DeadLetterHandler} lines between its progress lines reads as failure; so do
 * a fresh embedded broker's start-up and shutdown lines, Kafka Streams' warning about a state
 * directory under the OS temp directory (the run's own, on purpose) and the producer's warnings
 * about errors it retries. None of them is dropped: they stay in the file, and the demo's summary
 * counts every dead-lettered and late order. INFO lines go to the file only too: the demo prints
 * its own progress.
 *
 * <p>slf4j-simple has no per-logger destinations, so the routing reads the line it writes: {@code
 * <time> <LEVEL> <logger> - <message>} (streams-app's {@code simplelogger.properties}). A line that
 * does not start a log record (a stack trace) goes where its record went. The demo's own progress
 * lines are written to the original stream, not through this one.
 */
final class DemoLog implements AutoCloseable {
  /**
   * Loggers whose warnings the demo causes on purpose or expects: one per invalid or late record
   * (rate-limited in the app), the state directory it keeps in the run's temporary directory, and
   * the Kafka producer's retried errors (CONCURRENT_TRANSACTIONS between exactly-once transactions
   * on a busy machine).
   */
  private static final Set<String> EXPECTED_WARNINGS =
      Set.of("DeadLetterHandler", "CloseWindowsProcessor", "StateDirectory", "Sender");

  private static final Pattern RECORD_START =
      Pattern.compile("^\\S+ (TRACE|DEBUG|INFO|WARN|ERROR) (\\S+) - ");

  private final Path path;
  private final PrintStream console;
  private final OutputStream file;
  private final PrintStream router;
  private volatile boolean quiet;

  private DemoLog(Path path, PrintStream console, OutputStream file) {
    this.path = path;
    this.console = console;
    this.file = file;
    this.router = new PrintStream(new Router(), true, StandardCharsets.UTF_8);
  }

  /** Opens (and truncates) {@code path} and routes {@code System.err} through it until close. */
  static DemoLog install(Path path) throws IOException {
    Path absolute = path.toAbsolutePath();
    Files.createDirectories(absolute.getParent());
    DemoLog log = new DemoLog(absolute, System.err, Files.newOutputStream(absolute));
    System.setErr(log.router);
    return log;
  }

  Path path() {
    return path;
  }

  /** Runs a step whose log lines all go to the file only, such as the embedded broker's start. */
  <T> T quietly(Callable<T> step) throws Exception {
    quiet = true;
    try {
      return step.call();
    } finally {
      System.err.flush();
      quiet = false;
    }
  }

  /**
   * Whether a line belongs on the console too (it always goes to the file).
   *
   * @param previous the answer for the line before, which a line that does not start a log record
   *     (a stack trace, say) follows
   */
  static boolean toConsole(String line, boolean previous) {
    Matcher record = RECORD_START.matcher(line);
    if (!record.find()) {
      return previous;
    }
    String logger = record.group(2);
    String shortName = logger.substring(logger.lastIndexOf('.') + 1);
    return switch (record.group(1)) {
      case "ERROR" -> true;
      case "WARN" -> !EXPECTED_WARNINGS.contains(shortName);
      default -> false;
    };
  }

  @Override
  public void close() throws IOException {
    System.setErr(console);
    synchronized (this) {
      router.close(); // routes the last line, should it lack its line end
      file.close();
    }
  }

  /** Splits what is written into lines and sends each to the file, and most to the console. */
  private final class Router extends OutputStream {
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private boolean recordToConsole = true;

    @Override
    public void write(int b) throws IOException {
      synchronized (DemoLog.this) {
        line.write(b);
        if (b == '\n') {
          route();
        }
      }
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      synchronized (DemoLog.this) {
        int start = offset;
        for (int i = offset; i < offset + length; i++) {
          if (bytes[i] == '\n') {
            line.write(bytes, start, i + 1 - start);
            route();
            start = i + 1;
          }
        }
        line.write(bytes, start, offset + length - start);
      }
    }

    /** Flushes the lines routed so far: a line is routed once complete, by what it starts with. */
    @Override
    public void flush() throws IOException {
      synchronized (DemoLog.this) {
        file.flush();
        console.flush();
      }
    }

    @Override
    public void close() throws IOException {
      synchronized (DemoLog.this) {
        if (line.size() > 0) {
          route();
        }
        flush();
      }
    }

    private void route() throws IOException {
      recordToConsole = toConsole(line.toString(StandardCharsets.UTF_8), recordToConsole);
      line.writeTo(file);
      if (recordToConsole && !quiet) {
        line.writeTo(console);
      }
      line.reset();
    }
  }
}
