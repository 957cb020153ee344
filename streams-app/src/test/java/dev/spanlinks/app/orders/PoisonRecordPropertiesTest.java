package dev.spanlinks.app.orders;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.app.orders.PoisonRecords.Poison;
import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.DeadLetterHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated inputs prove it (issue 22): no single input record can stop the topology, lose itself
 * or make the topology write what a broker refuses. {@link PoisonRecords} generates tries of one to
 * five records (keys, values, headers and timestamps at every edge), sent to the real topology in
 * every input format, with and without the repartition by key. Per try:
 *
 * <ul>
 *   <li>no exception escapes {@code pipeInput} or {@code advanceWallClockTime}: one that does would
 *       stop the application;
 *   <li>every record the topology writes, to any topic (changelogs and the repartition topic too),
 *       fits the broker's defaults: at most 1,048,576 bytes ({@code max.message.bytes}, {@code
 *       max.request.size}; key, value and headers plus {@value #RECORD_OVERHEAD_BYTES} bytes), a
 *       timestamp neither negative nor more than an hour ({@code message.timestamp.after.max.ms})
 *       ahead of the wall clock;
 *   <li>every dead letter says why ({@code __streams.errors.message}); never more outcomes than
 *       records sent.
 * </ul>
 *
 * And when a driver's tries are over and every window is closed, every record sent is in exactly
 * one place: a dead letter, a late record, or a batch (its {@code orderCount} plus {@code
 * duplicateCount}).
 *
 * <p>A plain JUnit test with seeded {@link java.util.Random}s and a shrinker of its own, like
 * {@link TopologyModelTest}, not jqwik: jqwik 1.10.1 runs on JUnit Platform 6.1.3 here (surefire
 * found and ran a {@code @Property}), but its engine prints, into every test run's output, a
 * message telling AI coding agents not to use the library and to disregard its results, and its
 * maintainers mean it. This project is written by such agents.
 *
 * <p>One driver serves {@value #TRIES_PER_DRIVER} tries; its wall clock starts at {@link
 * Instant#now()} (the dead-letter handler compares timestamps with the real clock) and moves
 * {@value #ADVANCE_MS} ms after each try, which closes the try's windows (1 s, no grace). A driver
 * that threw is replaced. A failure prints the run's seed, the try, and the input shrunk (tries,
 * records, then parts of records made plain while the same kind of failure remains). System
 * properties: {@code spanlinks.poison.tries} (default {@value #DEFAULT_TRIES}), {@code
 * spanlinks.poison.seed} (the base seed; default random, printed), {@code spanlinks.poison.run}
 * (one run only, as printed on failure: {@code <combination>:<seed>:<tries>}), {@code
 * spanlinks.poison.shrink.seconds} (default 30, all failures together), {@code
 * spanlinks.poison.max.failing.tries} (default 200: past it the property stops early).
 */
class PoisonRecordPropertiesTest {
  static final int DEFAULT_TRIES = 10_000;
  static final int TRIES_PER_DRIVER = 250;
  static final long ADVANCE_MS = 2_000;
  static final long MAX_RECORD_BYTES = 1_048_576;
  static final long RECORD_OVERHEAD_BYTES = 100;
  static final long MAX_AHEAD_MS = 3_600_000;

  /** Closes every window: accepted event times are at most max.future.ms (1 h) ahead. */
  private static final long FINAL_ADVANCE_MS = PoisonRecords.HOUR + 10 * PoisonRecords.SECOND;

  /** Past this many failing tries the property stops: the report has what it needs. */
  private static final int MAX_FAILING_TRIES =
      Integer.getInteger("spanlinks.poison.max.failing.tries", 200);

  private static final Deserializer<OrderBatch> BATCHES = OrderSerdes.orderBatchDeserializer();

  /** The input formats under test. */
  enum Format {
    ORDERS(Map.of(BatchConfig.INPUT_FORMAT_CONFIG, "orders")),
    JSON(jsonSettings(false)),
    JSON_BATCH_KEY(jsonSettings(true)),
    UNPARSED(Map.of(BatchConfig.INPUT_FORMAT_CONFIG, "unparsed"));

    final Map<String, Object> settings;

    Format(Map<String, Object> settings) {
      this.settings = settings;
    }

    private static Map<String, Object> jsonSettings(boolean batchKey) {
      Map<String, Object> settings = new HashMap<>();
      settings.put(BatchConfig.INPUT_FORMAT_CONFIG, "json");
      settings.put(BatchConfig.JSON_ID_POINTER_CONFIG, "/orderId");
      settings.put(BatchConfig.JSON_EVENT_TIME_POINTER_CONFIG, "/createdAt");
      settings.put(BatchConfig.JSON_SUM_POINTER_CONFIG, "/amount");
      if (batchKey) {
        settings.put(BatchConfig.JSON_BATCH_KEY_POINTER_CONFIG, "/customerId");
      }
      return Map.copyOf(settings);
    }
  }

  /** One input format, with or without the repartition by key. */
  record Combination(Format format, boolean repartition) {
    static List<Combination> all() {
      List<Combination> all = new ArrayList<>();
      for (Format format : Format.values()) {
        all.add(new Combination(format, false));
        all.add(new Combination(format, true));
      }
      return all;
    }

    static Combination parse(String text) {
      String[] parts = text.split("/");
      Format format = Format.valueOf(parts[0].toUpperCase(Locale.ROOT).replace('-', '_'));
      return new Combination(format, parts.length > 1);
    }

    Map<String, Object> settings() {
      Map<String, Object> settings = new HashMap<>(format.settings);
      settings.put(BatchConfig.REPARTITION_BY_KEY_CONFIG, repartition);
      settings.put(BatchConfig.WINDOW_SIZE_MS_CONFIG, 1_000L);
      settings.put(BatchConfig.WINDOW_GRACE_MS_CONFIG, 0L);
      settings.put(BatchConfig.IDLE_CLOSE_MS_CONFIG, 1L);
      settings.put(BatchConfig.CLOSE_CHECK_INTERVAL_MS_CONFIG, 10L);
      // Being added (issue 22): a longer batch key is dead-lettered. Today's code ignores it.
      settings.put("spanlinks.batch.key.max.bytes", 1_024);
      return settings;
    }

    @Override
    public String toString() {
      return format.name().toLowerCase(Locale.ROOT).replace('_', '-')
          + (repartition ? "/repartition" : "");
    }
  }

  /** One driver's worth of generated tries. */
  record Run(Combination combination, long seed, int tries) {
    static Run parse(String text) {
      String[] parts = text.split(":");
      return new Run(
          Combination.parse(parts[0]), Long.parseLong(parts[1]), Integer.parseInt(parts[2]));
    }

    @Override
    public String toString() {
      return combination + ":" + seed + ":" + tries;
    }
  }

  /**
   * A broken property. {@code kind} stays the same while shrinking; {@code firstTry} is where the
   * driver that failed started, so tries {@code firstTry..lastTry} reproduce it.
   */
  record Failure(String kind, int firstTry, int lastTry, String details) {}

  /** What the generated inputs exercised, printed with every run. */
  static final class Coverage {
    final Map<String, Long> labels = new HashMap<>();
    long tries;
    long records;
    long deadLetters;
    long late;
    long batches;
    long batched;
    long duplicates;
    long drivers;

    @Override
    public String toString() {
      return String.format(
          "%d tries, %d records on %d drivers; %d dead letters, %d late, %d batches of %d orders"
              + " and %d duplicates",
          tries, records, drivers, deadLetters, late, batches, batched, duplicates);
    }
  }

  @TempDir Path tempDir;

  @Test
  void shouldNeitherStopNorLoseNorOverflowWhateverOneRecordHolds() {
    long started = System.nanoTime();
    Coverage coverage = new Coverage();
    Map<String, List<Run>> runsByKind = new LinkedHashMap<>();
    Map<String, Failure> firstByKind = new LinkedHashMap<>();
    Map<String, Run> firstRunByKind = new LinkedHashMap<>();
    long failingTries = 0;
    for (Run run : runs()) {
      List<List<Poison>> input = generate(run, coverage.labels);
      List<Failure> failures = execute(run.combination(), input, coverage);
      failingTries += failures.stream().mapToInt(Failure::lastTry).distinct().count();
      for (Failure failure : failures) {
        runsByKind.computeIfAbsent(failure.kind(), k -> new ArrayList<>()).add(run);
        firstByKind.putIfAbsent(failure.kind(), failure);
        firstRunByKind.putIfAbsent(failure.kind(), run);
      }
      if (failingTries > MAX_FAILING_TRIES) {
        System.out.println("Stopping early: more than " + MAX_FAILING_TRIES + " failing tries");
        break;
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    List<String> reports = new ArrayList<>();
    long shrinkDeadline =
        System.nanoTime() + Long.getLong("spanlinks.poison.shrink.seconds", 30) * 1_000_000_000L;
    for (Map.Entry<String, Failure> entry : firstByKind.entrySet()) {
      Run run = firstRunByKind.get(entry.getKey());
      int kindsLeft = firstByKind.size() - reports.size();
      long deadline =
          System.nanoTime() + Math.max(0, shrinkDeadline - System.nanoTime()) / kindsLeft;
      reports.add(report(run, entry.getValue(), deadline));
    }
    String summary =
        String.format(
            "PoisonRecordPropertiesTest: %s in %.1f s%n  generated: %s%n  failures by kind: %s",
            coverage,
            seconds,
            PoisonRecords.summary(coverage.labels),
            runsByKind.entrySet().stream()
                .map(e -> e.getKey() + " (on " + e.getValue().size() + " drivers)")
                .collect(Collectors.joining("; ")));
    System.out.println(summary);
    reports.forEach(System.out::println);
    assertThat(firstByKind).as(summary + "\n" + String.join("\n", reports)).isEmpty();
    assertThat(coverage.tries).as("tries").isGreaterThanOrEqualTo(tries());
  }

  // ---- runs ----------------------------------------------------------------------------------

  private static int tries() {
    String one = System.getProperty("spanlinks.poison.run", "");
    return one.isBlank()
        ? Integer.getInteger("spanlinks.poison.tries", DEFAULT_TRIES)
        : Run.parse(one.trim()).tries();
  }

  private static List<Run> runs() {
    String one = System.getProperty("spanlinks.poison.run", "");
    if (!one.isBlank()) {
      return List.of(Run.parse(one.trim()));
    }
    String given = System.getProperty("spanlinks.poison.seed", "");
    long base = given.isBlank() ? new SplittableRandom().nextLong() : Long.parseLong(given.trim());
    System.out.println("spanlinks.poison.seed=" + base);
    SplittableRandom seeds = new SplittableRandom(base);
    List<Combination> combinations = Combination.all();
    int perCombination = (tries() + combinations.size() - 1) / combinations.size();
    List<Run> runs = new ArrayList<>();
    for (int done = 0; done < perCombination; done += TRIES_PER_DRIVER) {
      for (Combination combination : combinations) {
        runs.add(
            new Run(
                combination, seeds.nextLong(), Math.min(TRIES_PER_DRIVER, perCombination - done)));
      }
    }
    return runs;
  }

  private static List<List<Poison>> generate(Run run, Map<String, Long> labels) {
    PoisonRecords generator = new PoisonRecords(run.seed(), labels);
    List<List<Poison>> tries = new ArrayList<>();
    for (int i = 0; i < run.tries(); i++) {
      tries.add(generator.nextTry());
    }
    return tries;
  }

  // ---- one driver's tries and the properties -------------------------------------------------

  /** A driver under test, with what it was sent and what came out since it started. */
  private final class Driver implements AutoCloseable {
    final TopologyFixture fixture;
    final int firstTry;
    final Map<String, TestOutputTopic<byte[], byte[]>> topics = new HashMap<>();
    long sent;
    long outcomes;

    Driver(Combination combination, int firstTry) {
      try {
        fixture =
            TopologyFixture.startingAt(
                Files.createTempDirectory(tempDir, "driver"),
                combination.settings(),
                Instant.now());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      this.firstTry = firstTry;
    }

    @Override
    public void close() {
      try {
        fixture.close();
      } catch (RuntimeException ignored) {
        // a driver that threw may not close cleanly; the failure is already recorded
      }
    }
  }

  /**
   * Sends every try to drivers of {@code combination} (a new one after each that threw) and returns
   * what broke, each failure once per driver and kind.
   *
   * @param coverage where to count what was sent and what came out, or null
   */
  private List<Failure> execute(
      Combination combination, List<List<Poison>> input, Coverage coverage) {
    List<Failure> failures = new ArrayList<>();
    Driver driver = null;
    try {
      for (int t = 0; t < input.size(); t++) {
        if (driver == null) {
          driver = new Driver(combination, t);
          count(coverage, c -> c.drivers++);
        }
        if (!sendTry(driver, t, input.get(t), failures, coverage)) {
          driver.close();
          driver = null;
        }
      }
      if (driver != null) {
        int last = input.size() - 1;
        if (step(driver, last, failures, coverage, FINAL_ADVANCE_MS)
            && driver.outcomes != driver.sent) {
          failures.add(
              failure(
                  "accounting: records lost",
                  driver,
                  last,
                  String.format(
                      "after every window closed: %d records sent, %d dead letters, late records"
                          + " and batched orders and duplicates",
                      driver.sent, driver.outcomes)));
        }
      }
    } finally {
      if (driver != null) {
        driver.close();
      }
    }
    return dedupe(failures);
  }

  /** The try's records, then a step of the wall clock; false when the driver threw. */
  private boolean sendTry(
      Driver driver, int t, List<Poison> records, List<Failure> failures, Coverage coverage) {
    count(coverage, c -> c.tries++);
    for (int i = 0; i < records.size(); i++) {
      long wallMs = driver.fixture.wallClock().toEpochMilli();
      Poison poison = records.get(i);
      driver.sent++;
      count(coverage, c -> c.records++);
      try {
        driver.fixture.rawOrders.pipeInput(toRecord(poison, wallMs));
      } catch (RuntimeException | StackOverflowError e) {
        failures.add(escaped("pipeInput", driver, t, i, e));
        return false;
      }
      checkOutputs(driver, t, failures, coverage);
    }
    driver.fixture.spans.reset();
    return step(driver, t, failures, coverage, ADVANCE_MS);
  }

  /** Moves the wall clock and checks what came out; false when the driver threw. */
  private boolean step(
      Driver driver, int t, List<Failure> failures, Coverage coverage, long millis) {
    try {
      driver.fixture.advanceWallClock(Duration.ofMillis(millis));
    } catch (RuntimeException | StackOverflowError e) {
      failures.add(escaped("advanceWallClockTime", driver, t, -1, e));
      return false;
    }
    checkOutputs(driver, t, failures, coverage);
    driver.fixture.spans.reset();
    return true;
  }

  private static TestRecord<byte[], byte[]> toRecord(Poison poison, long wallMs) {
    RecordHeaders headers = new RecordHeaders();
    poison.headers().forEach(h -> headers.add(h.key(), h.value()));
    return new TestRecord<>(
        poison.key(),
        poison.value().bytes(wallMs),
        headers,
        Instant.ofEpochMilli(poison.timestamp().at(wallMs)));
  }

  /** Reads every topic the driver wrote to and checks each record against the broker's limits. */
  private void checkOutputs(Driver driver, int t, List<Failure> failures, Coverage coverage) {
    long wallMs = driver.fixture.wallClock().toEpochMilli();
    for (String topic : driver.fixture.driver.producedTopicNames()) {
      TestOutputTopic<byte[], byte[]> output =
          driver.topics.computeIfAbsent(
              topic,
              name ->
                  driver.fixture.driver.createOutputTopic(
                      name, new ByteArrayDeserializer(), new ByteArrayDeserializer()));
      for (TestRecord<byte[], byte[]> record : output.readRecordsToList()) {
        checkLimits(driver, t, topic, record, wallMs, failures);
        driver.outcomes += outcomes(driver, t, topic, record, failures, coverage);
      }
    }
    if (driver.outcomes > driver.sent) {
      failures.add(
          failure(
              "accounting: more outcomes than records",
              driver,
              t,
              driver.outcomes + " outcomes of " + driver.sent + " records"));
    }
  }

  private void checkLimits(
      Driver driver,
      int t,
      String topic,
      TestRecord<byte[], byte[]> record,
      long wallMs,
      List<Failure> failures) {
    long size = RECORD_OVERHEAD_BYTES + length(record.key()) + length(record.value());
    for (Header header : record.headers()) {
      size += header.key().getBytes(StandardCharsets.UTF_8).length + length(header.value());
    }
    String what =
        String.format(
            "%s record of %d bytes (key %d, value %d, %d headers), timestamp %d, wall clock %d",
            topic,
            size,
            length(record.key()),
            length(record.value()),
            record.headers().toArray().length,
            record.timestamp(),
            wallMs);
    if (size > MAX_RECORD_BYTES) {
      failures.add(failure("record too large on " + topic, driver, t, what));
    }
    if (record.timestamp() < 0) {
      failures.add(failure("timestamp negative on " + topic, driver, t, what));
    } else if (record.timestamp() > wallMs + MAX_AHEAD_MS) {
      failures.add(failure("timestamp over 1 h ahead on " + topic, driver, t, what));
    }
  }

  /** How many input records one output record accounts for: 0 for changelogs and repartitions. */
  private long outcomes(
      Driver driver,
      int t,
      String topic,
      TestRecord<byte[], byte[]> record,
      List<Failure> failures,
      Coverage coverage) {
    switch (topic) {
      case "orders-dlq" -> {
        if (record.headers().lastHeader(DeadLetterHandler.HEADER_MESSAGE) == null) {
          failures.add(
              failure(
                  "dead letter without " + DeadLetterHandler.HEADER_MESSAGE,
                  driver,
                  t,
                  "headers " + Arrays.toString(record.headers().toArray())));
        }
        count(coverage, c -> c.deadLetters++);
        return 1;
      }
      case "orders-late" -> {
        count(coverage, c -> c.late++);
        return 1;
      }
      case "order-batches" -> {
        OrderBatch batch;
        try {
          batch = BATCHES.deserialize(topic, record.value());
        } catch (RuntimeException e) {
          failures.add(failure("batch unreadable", driver, t, e.toString()));
          return 0;
        }
        count(coverage, c -> c.batches++);
        count(coverage, c -> c.batched += batch.orderCount());
        count(coverage, c -> c.duplicates += batch.duplicateCount());
        return batch.orderCount() + batch.duplicateCount();
      }
      default -> {
        return 0;
      }
    }
  }

  private static long length(byte[] bytes) {
    return bytes == null ? 0 : bytes.length;
  }

  private static Failure failure(String kind, Driver driver, int t, String details) {
    return new Failure(kind, driver.firstTry, t, details);
  }

  private static Failure escaped(String call, Driver driver, int t, int record, Throwable e) {
    List<String> chain = new ArrayList<>();
    Throwable root = e;
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      chain.add(cause.getClass().getSimpleName());
      root = cause;
    }
    String frames =
        Arrays.stream(root.getStackTrace())
            .limit(6)
            .map(StackTraceElement::toString)
            .collect(Collectors.joining("\n        at "));
    return failure(
        call + " threw " + String.join(" <- ", chain),
        driver,
        t,
        (record >= 0 ? "record " + record + ": " : "")
            + e
            + "\n    root cause: "
            + root
            + "\n        at "
            + frames);
  }

  /** The first failure of each kind per driver: one bad record is one failure. */
  private static List<Failure> dedupe(List<Failure> failures) {
    Map<String, Failure> first = new LinkedHashMap<>();
    failures.forEach(f -> first.putIfAbsent(f.kind() + "@" + f.firstTry(), f));
    return List.copyOf(first.values());
  }

  private static void count(Coverage coverage, java.util.function.Consumer<Coverage> update) {
    if (coverage != null) {
      update.accept(coverage);
    }
  }

  // ---- shrinking and reporting ---------------------------------------------------------------

  private boolean fails(Combination combination, List<List<Poison>> input, String kind) {
    return !input.isEmpty()
        && execute(combination, input, null).stream().anyMatch(f -> f.kind().equals(kind));
  }

  private String report(Run run, Failure failure, long deadline) {
    Combination combination = run.combination();
    List<List<Poison>> input = generate(run, new HashMap<>());
    List<List<Poison>> smallest =
        new ArrayList<>(input.subList(failure.firstTry(), failure.lastTry() + 1));
    String kind = failure.kind();
    int attempts = 0;
    List<List<Poison>> last = List.of(smallest.get(smallest.size() - 1));
    attempts++;
    if (smallest.size() > 1 && fails(combination, last, kind)) {
      smallest = new ArrayList<>(last);
    }
    // Drop tries, then records, while the same kind of failure remains.
    for (int chunk = Math.max(1, smallest.size() / 2);
        chunk >= 1 && System.nanoTime() < deadline;
        chunk /= 2) {
      for (int from = 0; from < smallest.size() && System.nanoTime() < deadline; ) {
        List<List<Poison>> candidate = new ArrayList<>(smallest.subList(0, from));
        candidate.addAll(
            smallest.subList(Math.min(smallest.size(), from + chunk), smallest.size()));
        attempts++;
        if (fails(combination, candidate, kind)) {
          smallest = candidate;
        } else {
          from += chunk;
        }
      }
    }
    for (int t = 0; t < smallest.size() && System.nanoTime() < deadline; t++) {
      for (int i = 0; i < smallest.get(t).size() && smallest.get(t).size() > 1; ) {
        List<Poison> fewer = new ArrayList<>(smallest.get(t));
        fewer.remove(i);
        List<List<Poison>> candidate = new ArrayList<>(smallest);
        candidate.set(t, fewer);
        attempts++;
        if (fails(combination, candidate, kind)) {
          smallest = candidate;
        } else {
          i++;
        }
      }
    }
    // Then make parts of each record plain, one at a time, until none can be.
    boolean simpler = true;
    while (simpler && System.nanoTime() < deadline) {
      simpler = false;
      for (int t = 0; t < smallest.size() && !simpler; t++) {
        for (int i = 0; i < smallest.get(t).size() && !simpler; i++) {
          for (Poison candidateRecord : PoisonRecords.simpler(smallest.get(t).get(i))) {
            if (System.nanoTime() >= deadline) {
              break;
            }
            List<Poison> records = new ArrayList<>(smallest.get(t));
            records.set(i, candidateRecord);
            List<List<Poison>> candidate = new ArrayList<>(smallest);
            candidate.set(t, records);
            attempts++;
            if (fails(combination, candidate, kind)) {
              smallest = candidate;
              simpler = true;
              break;
            }
          }
        }
      }
    }
    List<Failure> again = execute(combination, smallest, null);
    String details =
        again.stream()
            .filter(f -> f.kind().equals(kind))
            .findFirst()
            .map(Failure::details)
            .orElse("(the shrunk input no longer fails: " + again + ")");
    StringBuilder out = new StringBuilder();
    out.append("\n==== ").append(kind).append('\n');
    out.append(
        String.format(
            "%s, try #%d (reproduce: -Dspanlinks.poison.run=%s)%n",
            combination, failure.lastTry(), run));
    out.append(
        String.format(
            "shrunk from %d tries to %d (%d records) in %d runs%s:%n",
            failure.lastTry() - failure.firstTry() + 1,
            smallest.size(),
            smallest.stream().mapToInt(List::size).sum(),
            attempts,
            System.nanoTime() >= deadline ? ", out of time" : ""));
    for (int t = 0; t < smallest.size(); t++) {
      for (Poison poison : smallest.get(t)) {
        out.append("  try ").append(t).append(": ").append(poison).append('\n');
      }
    }
    out.append("  then: ").append(details).append('\n');
    out.append("  first seen in try #")
        .append(failure.lastTry())
        .append(" as: ")
        .append(failure.details())
        .append('\n');
    return out.toString();
  }
}
