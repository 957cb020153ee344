package dev.spanlinks.app.orders;

import dev.spanlinks.app.orders.ModelEvent.Invalid;
import dev.spanlinks.app.orders.ModelEvent.Send;
import dev.spanlinks.app.orders.ModelEvent.Valid;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What {@link OrdersTopology} must emit for a sequence of {@link ModelEvent}s, written as plainly
 * as possible (issue 12): no blocks, no caches, no spans; a map from (window, key) to the orders in
 * arrival order. Time is a long of epoch milliseconds, {@link #NONE} standing for minus infinity.
 *
 * <p>The rules, per record: dead-letter it as its {@link ModelEvent.Verdict} says, when its batch
 * key is longer than 1,024 bytes of UTF-8, or when its event time is more than max.future ahead of
 * the wall clock; else raise stream time (and note the wall clock when it rose), close every window
 * that starts before {@code startOf(min(streamTime, wall) - grace)}, and then route the order late
 * if its window has closed, or store it. On every wall-clock punctuation: after idle.close ms
 * without stream time rising and a quiet gap with no record at all ({@link #QUIET_MS}, or
 * idle.close if shorter), close on the wall clock alone; else close as a record would.
 *
 * <p>Public, with {@link ModelEvent}, {@link Outcome} and {@link ModelGenerator}, for the broker
 * test of the model in integration-tests ({@code TopologyModelOnBrokerIT}).
 *
 * <p>{@link Legacy} switches back, one at a time, the rules issue 12 changes, to tell which
 * failures of today's code those changes explain. The spec is the model with none of them.
 */
public final class TopologyModel {
  static final long NONE = Long.MIN_VALUE;

  /**
   * An idle close also waits for a gap of this long with no record at all (or the idle time, if
   * shorter): a task working through a backlog is not idle, even when stream time stands still.
   */
  static final long QUIET_MS = 10_000;

  static final String MAX_FUTURE_REASON_FORMAT = "event time is more than %d ms ahead of the clock";

  /** spanlinks.batch.key.max.bytes, by default: a longer key is dead-lettered when read. */
  static final int BATCH_KEY_MAX_BYTES = 1024;

  static final String BATCH_KEY_REASON_FORMAT =
      "the batch key is %d bytes of UTF-8, more than spanlinks.batch.key.max.bytes (1024)";

  /** The rules as they were before issue 12, for classifying failures only. */
  enum Legacy {
    /** Close time is stream time (not min(stream time, wall clock)); idle target max of both. */
    CLOSE_TIME,
    /** Every order that is not dead-lettered resets the idle timer, not only one raising time. */
    IDLE_TIMER
  }

  public record Settings(
      long windowMs,
      long graceMs,
      long idleMs,
      long maxFutureMs,
      int linksPerSpan,
      Set<Legacy> legacy) {}

  private record BatchId(long windowStartMs, String key) implements Comparable<BatchId> {
    @Override
    public int compareTo(BatchId other) {
      int byWindow = Long.compare(windowStartMs, other.windowStartMs);
      return byWindow != 0 ? byWindow : key.compareTo(other.key);
    }
  }

  private record Stored(Valid order, long eventTimeMs, ModelEvent.Link link) {}

  private final Settings settings;
  private final List<Outcome> emitted = new ArrayList<>();
  // Survives restarts: what the stores hold.
  private final SortedMap<BatchId, List<Stored>> open = new TreeMap<>();
  private long closedThrough = NONE;
  // Lost on restarts.
  private long streamTime = NONE;
  private long lastRiseWallMs;
  private long lastRecordWallMs;
  private long wallMs;
  private int step;

  TopologyModel(Settings settings, long wallClockStartMs) {
    this.settings = settings;
    this.wallMs = wallClockStartMs;
    this.lastRiseWallMs = wallClockStartMs;
    this.lastRecordWallMs = wallClockStartMs;
  }

  /** Everything the topology must emit for {@code events}, each tagged with its event's index. */
  public static List<Outcome> expected(
      Settings settings, long wallClockStartMs, List<ModelEvent> events) {
    TopologyModel model = new TopologyModel(settings, wallClockStartMs);
    for (ModelEvent event : events) {
      model.apply(event);
    }
    if (!model.open.isEmpty()) {
      throw new IllegalStateException("The events leave windows open: " + model.open.keySet());
    }
    return model.emitted;
  }

  /**
   * As {@link #expected}, but windows may still be open after the last event, as on a real broker
   * whose last hour has not closed yet: only what has been emitted by then.
   */
  public static List<Outcome> emitted(
      Settings settings, long wallClockStartMs, List<ModelEvent> events) {
    TopologyModel model = new TopologyModel(settings, wallClockStartMs);
    events.forEach(model::apply);
    return model.emitted;
  }

  void apply(ModelEvent event) {
    if (event instanceof Send send) {
      receive(send);
    } else if (event instanceof ModelEvent.AdvanceWall advance) {
      wallMs += advance.millis();
      punctuate();
    } else {
      streamTime = NONE;
      lastRiseWallMs = wallMs;
      lastRecordWallMs = wallMs;
    }
    step++;
  }

  private void receive(Send send) {
    if (send.verdict() instanceof Invalid invalid) {
      deadLetter(
          send,
          invalid.reasons().isEmpty()
              ? Outcome.DeadLetter.ANY_REASON
              : String.join(Outcome.DeadLetter.OR, new java.util.TreeSet<>(invalid.reasons())));
      return;
    }
    Valid order = (Valid) send.verdict();
    long eventTime = order.createdAtMs() != null ? order.createdAtMs() : send.timestampMs();
    int keyBytes = order.batchKey().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (keyBytes > BATCH_KEY_MAX_BYTES) {
      deadLetter(send, String.format(BATCH_KEY_REASON_FORMAT, keyBytes));
      return;
    }
    if (eventTime - wallMs > settings.maxFutureMs()) {
      deadLetter(send, String.format(MAX_FUTURE_REASON_FORMAT, settings.maxFutureMs()));
      return;
    }
    lastRecordWallMs = wallMs;
    if (streamTime == NONE || eventTime > streamTime) {
      streamTime = eventTime;
      lastRiseWallMs = wallMs;
    } else if (settings.legacy().contains(Legacy.IDLE_TIMER)) {
      lastRiseWallMs = wallMs;
    }
    closeThrough(boundaryAt(closeTime()));
    if (startOf(eventTime) < closedThrough) {
      emitted.add(
          new Outcome.Late(
              step, order.batchKey(), order.orderId(), eventTime, render(send.headers())));
    } else {
      open.computeIfAbsent(
              new BatchId(startOf(eventTime), order.batchKey()), k -> new ArrayList<>())
          .add(new Stored(order, eventTime, send.link()));
    }
  }

  private void punctuate() {
    if (wallMs - lastRiseWallMs < settings.idleMs()
        || wallMs - lastRecordWallMs < Math.min(QUIET_MS, settings.idleMs())) {
      closeThrough(boundaryAt(closeTime()));
      return;
    }
    long target =
        settings.legacy().contains(Legacy.CLOSE_TIME)
            ? boundaryAt(Math.max(streamTime, wallMs))
            : boundaryAt(wallMs);
    long lastEmittedEnd = emitWindowsBefore(target);
    long reached = Math.max(boundaryAt(closeTime()), Math.min(lastEmittedEnd, target));
    closedThrough = Math.max(closedThrough, reached);
  }

  private long closeTime() {
    if (streamTime == NONE || settings.legacy().contains(Legacy.CLOSE_TIME)) {
      return streamTime;
    }
    return Math.min(streamTime, wallMs);
  }

  private void closeThrough(long boundary) {
    if (boundary > closedThrough) {
      emitWindowsBefore(boundary);
      closedThrough = boundary;
    }
  }

  /** Emits and forgets every batch of a window starting before {@code boundary}. */
  private long emitWindowsBefore(long boundary) {
    long lastEnd = NONE;
    while (!open.isEmpty() && open.firstKey().windowStartMs() < boundary) {
      Map.Entry<BatchId, List<Stored>> batch = open.entrySet().iterator().next();
      emitted.add(batchOf(batch.getKey(), batch.getValue()));
      lastEnd = batch.getKey().windowStartMs() + settings.windowMs();
      open.remove(batch.getKey());
    }
    return lastEnd;
  }

  private Outcome.Batch batchOf(BatchId id, List<Stored> deliveries) {
    Set<String> seen = new HashSet<>();
    SortedMap<String, BigDecimal> totals = new TreeMap<>();
    List<Outcome.LinkOut> links = new ArrayList<>();
    long duplicates = 0;
    long latest = NONE;
    for (Stored delivery : deliveries) {
      Valid order = delivery.order();
      if (!seen.add(order.orderId())) {
        duplicates++;
        continue;
      }
      // Kept with the scale it was sent with, within [0, 9] (only trailing zeros can go).
      BigDecimal amount = order.amount().setScale(Math.max(0, Math.min(order.amount().scale(), 9)));
      totals.merge(order.currency(), amount, BigDecimal::add);
      latest = Math.max(latest, delivery.eventTimeMs());
      ModelEvent.Link link = delivery.link();
      if (link != null) {
        links.add(
            new Outcome.LinkOut(
                link.traceId(),
                link.spanId(),
                link.flagsHex(),
                String.join(",", link.traceState()),
                order.orderId()));
      }
    }
    long orders = seen.size();
    long chunks = links.isEmpty() ? 0 : (links.size() - 1) / settings.linksPerSpan();
    return new Outcome.Batch(
        step,
        id.key(),
        id.windowStartMs(),
        orders,
        links.size(),
        orders - links.size(),
        duplicates,
        chunks,
        totals,
        latest,
        links,
        List.of());
  }

  private void deadLetter(Send send, String reason) {
    emitted.add(
        new Outcome.DeadLetter(
            step,
            Outcome.digest(send.key()),
            Outcome.digest(send.value()),
            render(send.headers()),
            reason));
  }

  /** The closed-through boundary once close time reaches {@code closeTimeMs}. */
  private long boundaryAt(long closeTimeMs) {
    return closeTimeMs == NONE ? NONE : startOf(closeTimeMs - settings.graceMs());
  }

  private long startOf(long timeMs) {
    return Math.floorDiv(timeMs, settings.windowMs()) * settings.windowMs();
  }

  static List<String> render(List<ModelEvent.Header> headers) {
    return headers.stream().map(ModelEvent.Header::render).toList();
  }

  public static Settings spec(
      long windowMs, long graceMs, long idleMs, long maxFutureMs, int links) {
    return new Settings(
        windowMs, graceMs, idleMs, maxFutureMs, links, EnumSet.noneOf(Legacy.class));
  }
}
