package dev.spanlinks.app.orders;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.app.orders.ModelGenerator.Features;
import dev.spanlinks.app.orders.TopologyModel.Legacy;
import dev.spanlinks.streams.BatchConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Randomised tests of the topology against {@link TopologyModel} (issue 12): generated inputs
 * ({@link ModelGenerator}) go through the real topology in a {@link TopologyFixture}, and
 * everything it emits, event by event, must equal what the model says, exactly.
 *
 * <p>A plain JUnit test with seeded {@link java.util.Random}s and a small shrinker of its own,
 * rather than jqwik 1.10.1: jqwik's maintainers ask that it not be used by AI coding agents, and
 * this test was written by one, so jqwik was not tried here. (It is also built on JUnit Platform
 * 1.14, where we run 6.1.3.)
 *
 * <p>A failure prints the case's seed, the input shrunk (events dropped while the same kind of
 * mismatch remains) and the first step where the topology and the model part. System properties:
 *
 * <ul>
 *   <li>{@code spanlinks.model.tries} (default {@value #DEFAULT_TRIES}): cases per run; raise it
 *       for a soak, e.g. {@code -Dspanlinks.model.tries=2000}. The tiny-cache variants run a
 *       quarter as many each.
 *   <li>{@code spanlinks.model.seed}: the run's base seed (default: random, printed).
 *   <li>{@code spanlinks.model.case}: one case only, as printed on failure ({@code <seed>} or
 *       {@code <seed>:large}).
 *   <li>{@code spanlinks.model.exclude}: feature groups not to generate, comma-separated (see
 *       {@link Features}).
 *   <li>{@code spanlinks.model.legacy}: model rules to switch back to their pre-issue-12 form,
 *       comma-separated ({@link Legacy}), to classify failures of code that predates them.
 *   <li>{@code spanlinks.model.shrink.seconds} (default 30): time spent shrinking failures, all of
 *       a run's together (the first failure of each kind is shrunk and printed, up to five).
 * </ul>
 */
class TopologyModelTest {
  static final int DEFAULT_TRIES = 60;
  private static final String SHRINK_SECONDS = "spanlinks.model.shrink.seconds";

  /** Every this many cases, one has 100 to 20,000 keys in one hour. */
  private static final int LARGE_EVERY = 20;

  private static final long WINDOW_MS = ModelGenerator.HOUR;
  private static final long GRACE_MS = 5 * ModelGenerator.MINUTE;
  private static final long IDLE_MS = 60 * ModelGenerator.SECOND;
  private static final long MAX_FUTURE_MS = ModelGenerator.HOUR;
  private static final int LINKS_PER_SPAN = 7;

  /** Enough for every window to close: event times are at most max.future ahead of the wall. */
  private static final long FINAL_ADVANCE_MS = 3 * ModelGenerator.HOUR;

  @TempDir Path tempDir;

  @Test
  void shouldEmitWhatTheModelSaysForRandomInput() {
    runProperty("default record cache", Map.of(), tries());
  }

  /**
   * The close scans the contributions store while it writes tombstones: with a tiny record cache
   * those writes evict entries during the scan. No order may go missing. (The test driver commits
   * after every record, so here a close never finds blocks that are only in the cache; {@link
   * ContributionCacheScanTest} covers that case.)
   */
  @ParameterizedTest
  @ValueSource(longs = {0L, 1024L})
  void shouldEmitWhatTheModelSaysWithATinyRecordCache(long cacheBytes) {
    runProperty(
        "statestore.cache.max.bytes=" + cacheBytes,
        Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, cacheBytes),
        Math.max(1, tries() / 4));
  }

  /**
   * A duplicate check whose table holds 32 order ids: every batch larger than that spills its ids
   * to disk, and duplicates must still count exactly as the model counts them.
   */
  @Test
  void shouldEmitWhatTheModelSaysWhenTheDuplicateCheckSpillsToDisk() {
    runProperty(
        "spanlinks.dedupe.table.max.bytes=1024",
        Map.of(BatchConfig.DEDUPE_TABLE_MAX_BYTES_CONFIG, 1024L),
        Math.max(1, tries() / 4));
  }

  // ---- the property --------------------------------------------------------------------------

  private record Case(long seed, boolean large) {
    static Case parse(String text) {
      String[] parts = text.split(":");
      return new Case(Long.parseLong(parts[0]), parts.length > 1 && parts[1].equals("large"));
    }

    @Override
    public String toString() {
      return seed + (large ? ":large" : "");
    }
  }

  /** Where a run first parts from the model; {@code kind} stays the same while shrinking. */
  record Mismatch(String kind, String details) {}

  private void runProperty(String variant, Map<String, Object> extra, int tries) {
    Map<String, Object> settings = new HashMap<>(topologySettings());
    settings.putAll(extra);
    List<Case> cases = cases(tries);
    Map<String, List<Case>> failuresByKind = new LinkedHashMap<>();
    List<String> reports = new ArrayList<>();
    Coverage coverage = new Coverage();
    long started = System.nanoTime();
    long shrinkDeadline = 0;
    for (Case c : cases) {
      List<ModelEvent> input = generate(c);
      Mismatch mismatch = check(settings, input, coverage);
      if (mismatch != null) {
        boolean firstOfKind = !failuresByKind.containsKey(mismatch.kind());
        failuresByKind.computeIfAbsent(mismatch.kind(), k -> new ArrayList<>()).add(c);
        if (firstOfKind && reports.size() < 5) {
          if (shrinkDeadline == 0) {
            shrinkDeadline = System.nanoTime() + Long.getLong(SHRINK_SECONDS, 30) * 1_000_000_000L;
          }
          reports.add(report(variant, c, settings, input, mismatch, shrinkDeadline));
        }
      }
    }
    String summary =
        String.format(
            "[%s] %d cases in %.1f s; features excluded %s; legacy rules %s%n  inputs: %s%n"
                + "  failures by kind: %s",
            variant,
            cases.size(),
            (System.nanoTime() - started) / 1e9,
            features().excluded(),
            legacy(),
            coverage,
            failuresByKind.entrySet().stream()
                .map(e -> e.getKey() + " x" + e.getValue().size() + " " + e.getValue())
                .collect(Collectors.joining("; ")));
    System.out.println(summary);
    assertThat(failuresByKind).as(summary + "\n" + String.join("\n", reports)).isEmpty();
  }

  /** What the generated inputs exercised, as the model saw them: printed with every run. */
  private static final class Coverage {
    private long events;
    private long records;
    private long restarts;
    private long batches;
    private long batchesOnWallClock;
    private long batchesWithChunkSpans;
    private long orders;
    private long duplicates;
    private long late;
    private long deadLetters;
    private long largestBatch;

    void add(List<ModelEvent> events, List<Outcome> expected) {
      this.events += events.size();
      for (ModelEvent event : events) {
        records += event instanceof ModelEvent.Send ? 1 : 0;
        restarts += event instanceof ModelEvent.Restart ? 1 : 0;
      }
      for (Outcome outcome : expected) {
        if (outcome instanceof Outcome.Batch batch) {
          batches++;
          batchesOnWallClock += events.get(batch.step()) instanceof ModelEvent.AdvanceWall ? 1 : 0;
          batchesWithChunkSpans += batch.chunkCount() > 0 ? 1 : 0;
          orders += batch.orderCount();
          duplicates += batch.duplicateCount();
          largestBatch = Math.max(largestBatch, batch.orderCount());
        } else if (outcome instanceof Outcome.Late) {
          late++;
        } else {
          deadLetters++;
        }
      }
    }

    @Override
    public String toString() {
      return String.format(
          "%d events, %d records, %d restarts; %d batches (%d closed by the wall clock, %d with"
              + " chunk spans, largest %d orders) of %d orders; %d duplicates, %d late, %d dead"
              + " letters",
          events,
          records,
          restarts,
          batches,
          batchesOnWallClock,
          batchesWithChunkSpans,
          largestBatch,
          orders,
          duplicates,
          late,
          deadLetters);
    }
  }

  private static List<Case> cases(int tries) {
    String only = System.getProperty("spanlinks.model.case");
    if (only != null && !only.isBlank()) {
      return List.of(Case.parse(only.trim()));
    }
    String given = System.getProperty("spanlinks.model.seed");
    long base =
        given == null || given.isBlank()
            ? new SplittableRandom().nextLong()
            : Long.parseLong(given.trim());
    System.out.println("spanlinks.model.seed=" + base);
    SplittableRandom seeds = new SplittableRandom(base);
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < tries; i++) {
      cases.add(new Case(seeds.nextLong(), i % LARGE_EVERY == LARGE_EVERY - 1));
    }
    return cases;
  }

  private static List<ModelEvent> generate(Case c) {
    return ModelGenerator.generate(
        c.seed(),
        c.large(),
        features(),
        TopologyFixture.WALL_CLOCK_START.toEpochMilli(),
        MAX_FUTURE_MS);
  }

  /**
   * Runs {@code input} (plus a final step of the wall clock) on the model and the topology.
   *
   * @param coverage where to count what the input exercised, or null
   */
  private Mismatch check(Map<String, Object> settings, List<ModelEvent> input, Coverage coverage) {
    List<ModelEvent> events = new ArrayList<>(input);
    events.add(new ModelEvent.AdvanceWall(FINAL_ADVANCE_MS));
    List<Outcome> expected =
        TopologyModel.expected(
            modelSettings(), TopologyFixture.WALL_CLOCK_START.toEpochMilli(), events);
    if (coverage != null) {
      coverage.add(events, expected);
    }
    Path stateDir;
    try {
      stateDir = Files.createTempDirectory(tempDir, "case");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    TopologyRun.Observed observed =
        new TopologyRun(settings, WINDOW_MS, LINKS_PER_SPAN)
            .run(stateDir, TopologyFixture.WALL_CLOCK_START, events);
    deleteQuietly(stateDir);
    return compare(expected, observed, events);
  }

  private static void deleteQuietly(Path directory) {
    try (var paths = Files.walk(directory)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // a temporary directory: JUnit removes what is left
    }
  }

  // ---- comparison ----------------------------------------------------------------------------

  static Mismatch compare(
      List<Outcome> expected, TopologyRun.Observed observed, List<ModelEvent> events) {
    TreeMap<Integer, List<Outcome>> want = byStep(expected);
    TreeMap<Integer, List<Outcome>> got = byStep(observed.outcomes());
    int lastStep = observed.crashStep() >= 0 ? observed.crashStep() : events.size() - 1;
    for (int step = 0; step <= lastStep; step++) {
      List<Outcome> actual = got.getOrDefault(step, List.of());
      List<Outcome> wanted = acceptReasons(want.getOrDefault(step, List.of()), actual);
      if (step == observed.crashStep()) {
        return new Mismatch(
            "crash: "
                + Arrays.stream(observed.crash().split(" <- "))
                    .map(cause -> cause.substring(cause.lastIndexOf('.', cause.indexOf(':')) + 1))
                    .map(cause -> cause.substring(0, cause.indexOf(':')))
                    .collect(Collectors.joining(" <- ")),
            "step "
                + step
                + " ("
                + events.get(step)
                + ") threw "
                + observed.crash()
                + "\n  expected at that step: "
                + wanted
                + "\n  emitted at that step: "
                + actual);
      }
      if (!wanted.equals(actual)) {
        return new Mismatch(
            kindOf(wanted, actual),
            "first difference at step "
                + step
                + " ("
                + events.get(step)
                + ")\n  expected: "
                + String.join("\n            ", wanted.stream().map(Object::toString).toList())
                + "\n  actual:   "
                + String.join("\n            ", actual.stream().map(Object::toString).toList()));
      }
    }
    return accounting(observed, events);
  }

  /** batched + late + dead-lettered + duplicates = records read. */
  private static Mismatch accounting(TopologyRun.Observed observed, List<ModelEvent> events) {
    long batched = 0;
    long duplicates = 0;
    long late = 0;
    long deadLettered = 0;
    for (Outcome outcome : observed.outcomes()) {
      if (outcome instanceof Outcome.Batch batch) {
        batched += batch.orderCount();
        duplicates += batch.duplicateCount();
      } else if (outcome instanceof Outcome.Late) {
        late++;
      } else {
        deadLettered++;
      }
    }
    long read = events.stream().filter(e -> e instanceof ModelEvent.Send).count();
    return batched + late + deadLettered + duplicates == read
        ? null
        : new Mismatch(
            "accounting",
            String.format(
                "batched %d + late %d + dead-lettered %d + duplicates %d != read %d",
                batched, late, deadLettered, duplicates, read));
  }

  private static TreeMap<Integer, List<Outcome>> byStep(List<Outcome> outcomes) {
    TreeMap<Integer, List<Outcome>> steps = new TreeMap<>();
    for (Outcome outcome : outcomes) {
      steps.computeIfAbsent(outcome.step(), s -> new ArrayList<>()).add(outcome);
    }
    steps
        .values()
        .forEach(
            list -> list.sort(Comparator.comparing(Outcome::rank).thenComparing(Object::toString)));
    return steps;
  }

  /** An expected dead letter takes the actual reason when it is one of those it accepts. */
  private static List<Outcome> acceptReasons(List<Outcome> wanted, List<Outcome> actual) {
    String actualReason =
        actual.stream()
            .filter(o -> o instanceof Outcome.DeadLetter)
            .map(o -> ((Outcome.DeadLetter) o).reason())
            .findFirst()
            .orElse(null);
    List<Outcome> accepted = new ArrayList<>();
    for (Outcome outcome : wanted) {
      accepted.add(
          outcome instanceof Outcome.DeadLetter letter && actualReason != null
              ? letter.acceptingReason(actualReason)
              : outcome);
    }
    accepted.sort(Comparator.comparing(Outcome::rank).thenComparing(Object::toString));
    return accepted;
  }

  /** A coarse name for a difference: what kind of output, and which field first differs. */
  private static String kindOf(List<Outcome> wanted, List<Outcome> actual) {
    for (Class<?> type :
        List.of(Outcome.Batch.class, Outcome.Late.class, Outcome.DeadLetter.class)) {
      List<Outcome> w = wanted.stream().filter(type::isInstance).toList();
      List<Outcome> a = actual.stream().filter(type::isInstance).toList();
      String name = type.getSimpleName();
      if (w.size() != a.size()) {
        return name + (w.size() > a.size() ? " missing" : " unexpected");
      }
      for (int i = 0; i < w.size(); i++) {
        if (!w.get(i).equals(a.get(i))) {
          for (RecordComponent component : type.getRecordComponents()) {
            if (!Objects.equals(value(component, w.get(i)), value(component, a.get(i)))) {
              return name + "." + component.getName();
            }
          }
        }
      }
    }
    return "order of outputs";
  }

  private static Object value(RecordComponent component, Object record) {
    try {
      return component.getAccessor().invoke(record);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- shrinking and reporting ---------------------------------------------------------------

  private String report(
      String variant,
      Case c,
      Map<String, Object> settings,
      List<ModelEvent> input,
      Mismatch mismatch,
      long shrinkDeadline) {
    // Share the budget: no one report may take more than half of what is left.
    long deadline = System.nanoTime() + Math.max(0, shrinkDeadline - System.nanoTime()) / 2;
    List<ModelEvent> smallest = new ArrayList<>(input);
    Mismatch last = mismatch;
    int attempts = 0;
    for (int chunk = Math.max(1, smallest.size() / 2);
        chunk >= 1 && System.nanoTime() < deadline;
        chunk /= 2) {
      for (int from = 0; from < smallest.size() && System.nanoTime() < deadline; ) {
        List<ModelEvent> candidate = new ArrayList<>(smallest.subList(0, from));
        candidate.addAll(
            smallest.subList(Math.min(smallest.size(), from + chunk), smallest.size()));
        Mismatch found = candidate.isEmpty() ? null : check(settings, candidate, null);
        attempts++;
        if (found != null && found.kind().equals(mismatch.kind())) {
          smallest = candidate;
          last = found;
        } else {
          from += chunk;
        }
      }
      if (chunk == 1) {
        break;
      }
    }
    // Then merge neighbouring steps of the wall clock, where the same failure remains.
    for (int i = 0; i + 1 < smallest.size() && System.nanoTime() < deadline; ) {
      if (smallest.get(i) instanceof ModelEvent.AdvanceWall first
          && smallest.get(i + 1) instanceof ModelEvent.AdvanceWall second) {
        List<ModelEvent> candidate = new ArrayList<>(smallest);
        candidate.set(i, new ModelEvent.AdvanceWall(first.millis() + second.millis()));
        candidate.remove(i + 1);
        Mismatch found = check(settings, candidate, null);
        attempts++;
        if (found != null && found.kind().equals(mismatch.kind())) {
          smallest = candidate;
          last = found;
          continue;
        }
      }
      i++;
    }
    StringBuilder out = new StringBuilder();
    out.append("\n==== ").append(variant).append(": ").append(mismatch.kind()).append('\n');
    out.append("case ").append(c).append(" (reproduce: -Dspanlinks.model.case=").append(c);
    if (!features().excluded().isEmpty()) {
      out.append(" -Dspanlinks.model.exclude=").append(String.join(",", features().excluded()));
    }
    if (!legacy().isEmpty()) {
      out.append(" -Dspanlinks.model.legacy=")
          .append(legacy().stream().map(Enum::name).collect(Collectors.joining(",")));
    }
    out.append(")\n");
    out.append(
        String.format(
            "shrunk from %d to %d events in %d runs; then a final wall +3h%n",
            input.size(), smallest.size(), attempts));
    for (int i = 0; i < smallest.size(); i++) {
      out.append(String.format("  #%d %s%n", i, smallest.get(i)));
    }
    out.append(last.details()).append('\n');
    return out.toString();
  }

  // ---- settings ------------------------------------------------------------------------------

  static Map<String, Object> topologySettings() {
    return Map.of(
        BatchConfig.WINDOW_SIZE_MS_CONFIG, WINDOW_MS,
        BatchConfig.WINDOW_GRACE_MS_CONFIG, GRACE_MS,
        BatchConfig.IDLE_CLOSE_MS_CONFIG, IDLE_MS,
        BatchConfig.CLOSE_CHECK_INTERVAL_MS_CONFIG, 1_000L,
        BatchConfig.MAX_FUTURE_MS_CONFIG, MAX_FUTURE_MS,
        BatchConfig.LINKS_PER_SPAN_CONFIG, LINKS_PER_SPAN,
        // Order ids on the links: the comparison names each link by its order.
        BatchConfig.LINK_ATTRIBUTES_CONFIG, "all");
  }

  private static TopologyModel.Settings modelSettings() {
    return new TopologyModel.Settings(
        WINDOW_MS, GRACE_MS, IDLE_MS, MAX_FUTURE_MS, LINKS_PER_SPAN, legacy());
  }

  private static int tries() {
    return Integer.getInteger("spanlinks.model.tries", DEFAULT_TRIES);
  }

  private static Features features() {
    return new Features(new TreeSet<>(list("spanlinks.model.exclude")));
  }

  private static Set<Legacy> legacy() {
    Set<Legacy> rules = EnumSet.noneOf(Legacy.class);
    list("spanlinks.model.legacy").forEach(name -> rules.add(Legacy.valueOf(name)));
    return rules;
  }

  private static List<String> list(String property) {
    String value = System.getProperty(property, "");
    return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }
}
