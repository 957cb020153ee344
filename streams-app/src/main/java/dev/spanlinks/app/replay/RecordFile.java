package dev.spanlinks.app.replay;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Reads and writes replay files: {@link RecordLineCodec} lines, UTF-8, blank lines skipped. */
public final class RecordFile {
  private RecordFile() {}

  /**
   * Feeds every record of the file to {@code action}, in file order.
   *
   * @throws MalformedLineException naming the file, the line number and the reason, at the first
   *     line that is not a record
   */
  public static void forEach(Path file, Consumer<RecordLine> action) throws IOException {
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      long lineNumber = 0;
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        lineNumber++;
        if (line.isBlank()) {
          continue;
        }
        RecordLine record;
        try {
          record = RecordLineCodec.decode(line);
        } catch (IllegalArgumentException e) {
          throw new MalformedLineException(file + " line " + lineNumber + ": " + e.getMessage());
        }
        action.accept(record);
      }
    } catch (java.nio.charset.MalformedInputException e) {
      throw new MalformedLineException(file + " is not UTF-8 text");
    }
  }

  /** Records in the file (its non-blank lines), without decoding them: a progress bar's total. */
  public static long count(Path file) throws IOException {
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      long records = 0;
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (!line.isBlank()) {
          records++;
        }
      }
      return records;
    } catch (java.nio.charset.MalformedInputException e) {
      throw new MalformedLineException(file + " is not UTF-8 text");
    }
  }

  /** Opens {@code file} for writing, replacing what was there. */
  public static Writer create(Path file) throws IOException {
    return new Writer(Files.newBufferedWriter(file, StandardCharsets.UTF_8));
  }

  /** Writes records one per line. Not thread-safe. */
  public static final class Writer implements Closeable {
    private final BufferedWriter out;

    private Writer(BufferedWriter out) {
      this.out = out;
    }

    public void write(RecordLine record) throws IOException {
      out.write(RecordLineCodec.encode(record));
      out.write('\n');
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }
}
