package dev.spanlinks.it;

import dev.spanlinks.app.orders.ModelEvent;
import dev.spanlinks.app.orders.ModelGenerator;
import dev.spanlinks.app.orders.Outcome;
import dev.spanlinks.app.orders.TopologyModel;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The input of {@link TopologyModelOnBrokerIT} and what the model says must come out of it: one
 * sequence of {@link ModelGenerator} per partition (each partition is one task, so one model),
 * split into the phases the test injects its faults between, redeliveries of records already sent
 * (to their own partition and to another one), and a last order per partition that closes every
 * window of the generated data.
 *
 * <p>What a single task under the test driver does not have, and so is left out or adapted: the
 * generator's wall clock (a broker has only the real one; the generated time line ends hours before
 * now, so no close waits for it and idle closes are switched off), its restarts (the test makes its
 * own), values near 1 MiB and event times ahead of the clock (features {@code bigValues} and {@code
 * ahead}), and records whose timestamp is ahead of the clock, which the broker refuses.
 */
final class ModelPlan {
  static final long WINDOW_MS = ModelGenerator.HOUR;
  static final long GRACE_MS = 5 * ModelGenerator.MINUTE;

  /** No idle close during a run: the model's wall clock does not move with the real one. */
  static final long IDLE_MS = ModelGenerator.DAY;

  static final long MAX_FUTURE_MS = ModelGenerator.HOUR;
  static final int LINKS_PER_SPAN = 7;
  static final TopologyModel.Settings SETTINGS =
      TopologyModel.spec(WINDOW_MS, GRACE_MS, IDLE_MS, MAX_FUTURE_MS, LINKS_PER_SPAN);

  private static final ModelGenerator.Features FEATURES =
      new ModelGenerator.Features(Set.of("ahead", "restart", "bigValues"));
  private static final int MIN_SENDS = 40;
  private static final int MAX_SENDS = 220;

  /** One record to produce, to a chosen partition. */
  record Delivery(int partition, ModelEvent.Send send) {}

  private final int partitions;
  private final long nowMs;
  private final List<List<Delivery>> phases = new ArrayList<>();
  private final List<Long> caseSeeds = new ArrayList<>();

  private ModelPlan(int partitions, long nowMs) {
    this.partitions = partitions;
    this.nowMs = nowMs;
  }

  /**
   * Three phases of generated records and redeliveries, then the closing orders.
   *
   * @param generatorStart where the generated time lines begin: weeks before {@code now}
   */
  static ModelPlan generate(long seed, int partitions, Instant generatorStart, Instant now) {
    ModelPlan plan = new ModelPlan(partitions, now.toEpochMilli());
    SplittableRandom random = new SplittableRandom(seed);
    List<List<ModelEvent.Send>> cases = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      cases.add(plan.generateCase(random, generatorStart.toEpochMilli()));
    }
    List<List<List<ModelEvent.Send>>> byPhase = new ArrayList<>();
    for (int phase = 0; phase < 3; phase++) {
      byPhase.add(new ArrayList<>());
      for (int p = 0; p < partitions; p++) {
        byPhase.get(phase).add(new ArrayList<>());
      }
    }
    for (int p = 0; p < partitions; p++) {
      List<ModelEvent.Send> sends = cases.get(p);
      int first = sends.size() * 40 / 100;
      int second = sends.size() * 75 / 100;
      byPhase.get(0).get(p).addAll(sends.subList(0, first));
      byPhase.get(1).get(p).addAll(sends.subList(first, second));
      byPhase.get(2).get(p).addAll(sends.subList(second, sends.size()));
    }
    // Redeliveries of what the first two phases sent: the same records again, mixed into the
    // third phase; one in five to another partition, as a producer with another partitioner would.
    List<Delivery> redeliveries = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      List<ModelEvent.Send> sent = new ArrayList<>(byPhase.get(0).get(p));
      sent.addAll(byPhase.get(1).get(p));
      int count = Math.max(2, sent.size() / 8);
      for (int i = 0; i < count; i++) {
        int to = random.nextInt(5) == 0 ? (p + 1 + random.nextInt(partitions - 1)) % partitions : p;
        redeliveries.add(new Delivery(to, sent.get(random.nextInt(sent.size()))));
      }
    }
    for (Delivery redelivery : redeliveries) {
      List<ModelEvent.Send> target = byPhase.get(2).get(redelivery.partition());
      target.add(random.nextInt(target.size() + 1), redelivery.send());
    }
    for (List<List<ModelEvent.Send>> phase : byPhase) {
      plan.phases.add(interleave(phase, random));
    }
    plan.phases.add(plan.closingOrders());
    return plan;
  }

  /** A generated case that fits a broker run: its time line ends 8 h before now. */
  private List<ModelEvent.Send> generateCase(SplittableRandom random, long startMs) {
    for (int attempt = 0; attempt < 100_000; attempt++) {
      long caseSeed = random.nextLong();
      List<ModelEvent> events =
          ModelGenerator.generate(caseSeed, false, FEATURES, startMs, MAX_FUTURE_MS);
      long wallEndMs =
          startMs
              + events.stream()
                  .filter(e -> e instanceof ModelEvent.AdvanceWall)
                  .mapToLong(e -> ((ModelEvent.AdvanceWall) e).millis())
                  .sum();
      List<ModelEvent.Send> sends =
          events.stream()
              .filter(e -> e instanceof ModelEvent.Send)
              .map(e -> (ModelEvent.Send) e)
              // A broker refuses a timestamp more than an hour ahead (the generator's event times
              // of the year 2100 or of Long.MAX_VALUE, when they stand in for a missing createdAt).
              .filter(s -> s.timestampMs() <= nowMs)
              .toList();
      if (wallEndMs < nowMs - 8 * ModelGenerator.HOUR
          && sends.size() >= MIN_SENDS
          && sends.size() <= MAX_SENDS) {
        caseSeeds.add(caseSeed);
        return sends;
      }
    }
    throw new IllegalStateException("No generated case fits a broker run");
  }

  /** Random order across partitions, each partition's own order kept. */
  private static List<Delivery> interleave(
      List<List<ModelEvent.Send>> byPartition, SplittableRandom random) {
    List<Delivery> out = new ArrayList<>();
    int[] next = new int[byPartition.size()];
    int left = byPartition.stream().mapToInt(List::size).sum();
    while (left > 0) {
      int pick = random.nextInt(left);
      for (int p = 0; p < byPartition.size(); p++) {
        int remaining = byPartition.get(p).size() - next[p];
        if (pick < remaining) {
          out.add(new Delivery(p, byPartition.get(p).get(next[p]++)));
          break;
        }
        pick -= remaining;
      }
      left--;
    }
    return out;
  }

  /**
   * One order per partition, 2 h before the current hour: stream time jumps past every generated
   * window (the time lines end 8 h before now), which all close; its own window stays open.
   */
  private List<Delivery> closingOrders() {
    long hourMs = Math.floorDiv(nowMs, WINDOW_MS) * WINDOW_MS;
    long eventTimeMs = hourMs - 2 * WINDOW_MS + 30 * ModelGenerator.MINUTE;
    List<Delivery> out = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      String orderId = "closing-" + p;
      String traceId = String.format(Locale.ROOT, "%032x", 0xc105e000L + p);
      String spanId = String.format(Locale.ROOT, "%016x", 0xc105e000L + p);
      String json =
          "{\"orderId\":\""
              + orderId
              + "\",\"customerId\":\"c-1\",\"region\":\"west\",\"amount\":1.00,"
              + "\"currency\":\"EUR\",\"createdAt\":\""
              + Instant.ofEpochMilli(eventTimeMs)
              + "\"}";
      out.add(
          new Delivery(
              p,
              new ModelEvent.Send(
                  "closing".getBytes(StandardCharsets.UTF_8),
                  json.getBytes(StandardCharsets.UTF_8),
                  List.of(
                      new ModelEvent.Header(
                          "traceparent",
                          ("00-" + traceId + "-" + spanId + "-01")
                              .getBytes(StandardCharsets.UTF_8))),
                  eventTimeMs,
                  new ModelEvent.Valid(
                      "closing", orderId, new BigDecimal("1.00"), "EUR", eventTimeMs),
                  new ModelEvent.Link(traceId, spanId, "01", List.of()),
                  "closing order of partition " + p)));
    }
    return out;
  }

  /** Phase 0 to 2: generated records (the third with the redeliveries); 3: the closing orders. */
  List<Delivery> phase(int index) {
    return phases.get(index);
  }

  /** The seeds of each partition's generated case, for a report. */
  List<Long> caseSeeds() {
    return List.copyOf(caseSeeds);
  }

  /** Everything partition {@code p} receives, in the order it is produced. */
  List<ModelEvent> input(int partition) {
    List<ModelEvent> input = new ArrayList<>();
    for (List<Delivery> phase : phases) {
      phase.stream().filter(d -> d.partition() == partition).forEach(d -> input.add(d.send()));
    }
    return input;
  }

  /** What the model says partition {@code p}'s task emits. */
  List<Outcome> expected(int partition) {
    return TopologyModel.emitted(SETTINGS, nowMs, input(partition));
  }

  int records() {
    return phases.stream().mapToInt(List::size).sum();
  }

  /** Instant truncation used by the test for the generator start: weeks before now. */
  static Instant generatorStart(Instant now) {
    return now.truncatedTo(ChronoUnit.DAYS).minus(40, ChronoUnit.DAYS);
  }
}
