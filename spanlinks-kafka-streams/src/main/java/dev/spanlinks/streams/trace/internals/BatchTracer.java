package dev.spanlinks.streams.trace.internals;

import dev.spanlinks.streams.trace.SpanExportTimeoutException;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the spans of closing batches. One per processor instance; not thread-safe, as a Kafka
 * Streams processor is only ever called by its own stream thread.
 */
public final class BatchTracer {
  /** The instrumentation scope of spanlinks' spans and metrics. */
  public static final String INSTRUMENTATION_SCOPE = "dev.spanlinks.streams";

  private static final Logger log = LoggerFactory.getLogger(BatchTracer.class);

  /**
   * Spans a close ends (batch, chunk and reverse spans alike) between two waits for the exporter.
   * The batch span processor's queue takes 2,048 spans ({@code OTEL_BSP_MAX_QUEUE_SIZE}) and drops
   * the rest: a close that ends thousands of batch spans in one loop lost most of them. A round's
   * wait lets at most three rounds (510 spans) stay queued per stream thread (see {@link
   * #spanEnded()}), and a chunk span of 1,000 links holds about 0.4 MB of heap until it is
   * exported.
   */
  static final int SPANS_PER_EXPORT_ROUND = 170;

  /**
   * The most ended spans one stream thread keeps in the span processor's queue: the round being
   * filled and the two handed over before it. A queue smaller than this times the stream threads
   * can drop spans when they close at once.
   */
  public static final int MAX_QUEUED_SPANS_PER_THREAD = 3 * SPANS_PER_EXPORT_ROUND;

  /**
   * Links in the spans of one round, at most (give or take one span's): a round of 256 chunk spans
   * of 1,000 links each held about 100 MB of heap until exported, and a million-order window closed
   * under {@code -Xmx256m} with 237 MB live once the exporter took 512 spans at a time. 65,536
   * links are about 26 MB.
   */
  static final int LINKS_PER_EXPORT_ROUND = 65_536;

  /** Default longest wait for the exporter to take one round of spans. */
  static final long DEFAULT_EXPORT_TIMEOUT_MS = 60_000;

  /** Time every tracer of this JVM has spent blocked on the exporter (read by the benchmarks). */
  private static final LongAdder exportWaitNanos = new LongAdder();

  /**
   * The tracers (one per task) that have flushed each SDK. The SDK's {@code forceFlush} hands a
   * caller the flush already in progress, if there is one, and that flush covers only the spans
   * queued before it began: with two tasks, on two stream threads or on one (two closes in one poll
   * loop), one task's wait could end before its own spans were exported, and its commit go through
   * without them. Once a second tracer flushes the same SDK, every wait is confirmed by a flush of
   * its own. Weakly held: a closed task's tracer goes with it.
   */
  private static final Map<SdkTracerProvider, Set<BatchTracer>> flushingTracers =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final Tracer tracer;
  private final SdkTracerProvider sdkTracerProvider;
  private final BatchSpanSettings settings;
  private final AtomicBoolean warnedRandomIds = new AtomicBoolean();
  private final AtomicBoolean warnedDroppedLinks = new AtomicBoolean();
  private final AtomicInteger largestSpanKeptAllLinks = new AtomicInteger(-1);
  private final AtomicBoolean warnedOverBudget = new AtomicBoolean();
  private final long exportTimeoutMs;
  private CompletableResultCode previousRound = CompletableResultCode.ofSuccess();
  private int endedInRound;
  private long linksInRound;

  /**
   * Whether {@link #previousRound} was still running when it was handed back: its flush then ends
   * after that hand-over. Likewise for the round handed over before it. See {@link #spanEnded()}.
   */
  private boolean previousRoundRanPastHandOver;

  private boolean roundBeforeRanPastHandOver;
  private long linksInPreviousRound;

  /** The bounds of the last window or two as text ({@link #isoText}). */
  private final IsoText[] isoTexts = {new IsoText(null, null), new IsoText(null, null)};

  private int nextIsoText;

  public BatchTracer(OpenTelemetry openTelemetry, BatchSpanSettings settings) {
    this(openTelemetry, settings, DEFAULT_EXPORT_TIMEOUT_MS);
  }

  /**
   * @param exportTimeoutMs the longest wait for the exporter to take one round of spans; past it
   *     the close fails with {@link SpanExportTimeoutException}
   */
  public BatchTracer(
      OpenTelemetry openTelemetry, BatchSpanSettings settings, long exportTimeoutMs) {
    this.tracer = openTelemetry.getTracer(INSTRUMENTATION_SCOPE);
    this.sdkTracerProvider =
        openTelemetry instanceof OpenTelemetrySdk sdk ? sdk.getSdkTracerProvider() : null;
    this.settings = settings;
    this.exportTimeoutMs = exportTimeoutMs;
  }

  /**
   * Makes sure the exporter has taken every span ended so far before Kafka Streams commits the
   * batches they belong to. Spans are not part of the Kafka transaction: exported first, a crash
   * before the commit only re-emits the same span ids; committed first, a crash (SIGKILL) before
   * the exporter's next run would lose them. Only an SDK of ours can be flushed (not the Java
   * agent's).
   *
   * <p>Where the stream thread's producer waits for them before it commits ({@link
   * SpansBeforeCommit}), the spans are handed to the exporter and the close returns: the thread
   * goes on processing while they are sent, and the commit waits for what is left. Elsewhere the
   * close waits here. Either way at most one round is in the exporter's hands besides the one being
   * filled.
   *
   * @throws SpanExportTimeoutException when the exporter does not take them in time
   */
  public void exportEndedSpans() {
    await(previousRound);
    if (SpansBeforeCommit.commitWaitsOnThisThread()) {
      previousRound = flushSpans();
      SpansBeforeCommit.awaitBeforeCommit(this);
    } else {
      await(flushSpans());
      previousRound = CompletableResultCode.ofSuccess();
    }
    // The next close's first round waits as this one's did: other tasks may close in between.
    previousRoundRanPastHandOver = false;
    roundBeforeRanPastHandOver = false;
    endedInRound = 0;
    linksInRound = 0;
  }

  /** True once the spans {@link #exportEndedSpans()} handed over have been exported. */
  public boolean handedOverExported() {
    return previousRound.isDone();
  }

  /**
   * Waits for the spans {@link #exportEndedSpans()} handed over without waiting: called before the
   * stream thread's commit.
   *
   * @throws SpanExportTimeoutException when the exporter does not take them in time
   */
  void awaitHandedOver() {
    await(previousRound);
    previousRound = CompletableResultCode.ofSuccess();
  }

  /**
   * Counts one span a close has ended. Every {@value #SPANS_PER_EXPORT_ROUND} spans, or sooner once
   * the round's spans hold {@value #LINKS_PER_EXPORT_ROUND} links, waits for an earlier round to be
   * exported and hands this one to the exporter: a full queue (or heap) is backpressure on the
   * close, never a dropped span.
   *
   * <p>Which round it waits for: the previous one, confirmed as {@link #await} does (a flush that
   * began after it), when the flushes of the last two rounds may have begun before their rounds
   * were queued: the first rounds of a close, a flush handed back already complete, rounds that
   * hold many links. Confirming the previous round waits for the one just ended too, which is
   * queued by then: with several tasks sharing the SDK, every round waited for its own export, and
   * the close ran no further meanwhile (100,000 one-order batches an hour: 3.4 s of a 13 s run
   * blocked on export). Otherwise it waits for the previous round's flush alone, which is enough to
   * bound the queue: that flush was still running when it was handed back, so it began only after
   * the flush handed back before it had ended, which was after its own round had been queued (that
   * one too was still running when handed back). Every round but the last two is then exported, and
   * at most three rounds, or two rounds' worth of links, wait in the queue and the heap.
   *
   * @throws SpanExportTimeoutException when the exporter does not take the awaited round in time
   */
  public void spanEnded() {
    if (++endedInRound < SPANS_PER_EXPORT_ROUND && linksInRound < LINKS_PER_EXPORT_ROUND) {
      return;
    }
    boolean previousFlushBoundsTheQueue =
        previousRoundRanPastHandOver
            && roundBeforeRanPastHandOver
            && linksInPreviousRound + linksInRound <= LINKS_PER_EXPORT_ROUND;
    await(previousRound, !previousFlushBoundsTheQueue);
    previousRound = flushSpans();
    roundBeforeRanPastHandOver = previousRoundRanPastHandOver;
    previousRoundRanPastHandOver = !previousRound.isDone();
    linksInPreviousRound = linksInRound;
    endedInRound = 0;
    linksInRound = 0;
  }

  /** Counts links a span of this round was started with (see {@link #spanEnded()}). */
  void linksAdded(int links) {
    linksInRound += links;
  }

  /**
   * Nanoseconds the stream threads of this JVM have spent waiting for the span exporter, in every
   * tracer since the JVM started. A cumulative counter for benchmarks and profiling.
   */
  public static long exportWaitNanos() {
    return exportWaitNanos.sum();
  }

  /**
   * Begins one batch: links are then added order by order, and spans start as chunks fill.
   *
   * @param partition the input partition whose orders the batch holds (an input of its ids)
   */
  public BatchSpans begin(String batchKey, Instant windowStart, Instant windowEnd, int partition) {
    return new BatchSpans(this, batchKey, windowStart, windowEnd, partition);
  }

  Tracer tracer() {
    return tracer;
  }

  /**
   * The instant as ISO-8601 text ({@link Instant#toString()}), remembered: every batch of a window
   * shares its bounds, and formatting them for each of 100,000 one-order batches an hour was 4% of
   * the application's CPU. A tracer serves one task, on one thread at a time.
   */
  String isoText(Instant instant) {
    for (IsoText known : isoTexts) {
      if (instant.equals(known.instant())) {
        return known.text();
      }
    }
    IsoText added = new IsoText(instant, instant.toString());
    isoTexts[nextIsoText] = added;
    nextIsoText = (nextIsoText + 1) % isoTexts.length;
    return added.text();
  }

  private record IsoText(Instant instant, String text) {}

  BatchSpanSettings settings() {
    return settings;
  }

  /**
   * Hands every ended span to the exporter; the result completes once they are exported. Only an
   * SDK of ours can be flushed (the Java agent's is left alone): the result is then already done.
   *
   * <p>The batch span processor keeps a completed flush in place for a moment after it completes,
   * and hands it to whoever asks meanwhile: a flush asked for right after a wait for the previous
   * one ended (the next round, the close's last spans) could be that one, already done, covering
   * none of the spans ended since. A close then returned, and its batches could commit, before its
   * last spans were exported ({@code ExportRoundsTest}: 2,890 of 3,400 spans exported when a
   * one-task close returned). So once an SDK has handed back a flush still running, a complete one
   * is not taken: ask again, as {@link #confirm} does, for {@value #CONFIRM_SPIN_MS} ms at most. An
   * SDK that never has (its span processor exports as each span ends) hands back complete flushes
   * that do cover every span, and they are taken at once.
   */
  CompletableResultCode flushSpans() {
    if (sdkTracerProvider == null) {
      return CompletableResultCode.ofSuccess();
    }
    Set<BatchTracer> tracers =
        flushingTracers.computeIfAbsent(
            sdkTracerProvider,
            provider ->
                Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>())));
    tracers.add(this);
    CompletableResultCode flush = sdkTracerProvider.forceFlush();
    if (!flush.isDone()) {
      flushesRunWhileHandedBack.add(sdkTracerProvider);
      return flush;
    }
    if (!flushesRunWhileHandedBack.contains(sdkTracerProvider)) {
      return flush;
    }
    return askWhileComplete(flush, System.nanoTime() + CONFIRM_SPIN_NANOS);
  }

  /**
   * Asks the SDK for a flush again while the one it handed back is already complete, until {@code
   * spinUntilNanos} ({@link System#nanoTime}); returns the last one handed back.
   */
  private CompletableResultCode askWhileComplete(CompletableResultCode flush, long spinUntilNanos) {
    while (flush.isDone() && System.nanoTime() < spinUntilNanos) {
      Thread.onSpinWait();
      flush = sdkTracerProvider.forceFlush();
    }
    return flush;
  }

  /** The SDKs that have handed back a flush still running: see {@link #flushSpans()}. */
  private static final Set<SdkTracerProvider> flushesRunWhileHandedBack =
      Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

  /** True when another tracer has flushed this SDK: see {@link #flushingTracers}. */
  private boolean sharedWithOtherTasks() {
    Set<BatchTracer> tracers =
        sdkTracerProvider == null ? null : flushingTracers.get(sdkTracerProvider);
    return tracers != null && tracers.size() > 1;
  }

  /**
   * Waits for a flush. An exporter that answered, even with a failure (the endpoint is down, say),
   * has taken the spans: what it lost is its own count ({@link FailFastSpanExporter} counts and
   * says it, and stops the waits while export fails). A flush that does not complete in time (the
   * span processor itself stuck) fails the close, so that the transaction aborts and the batches
   * are emitted again with the same span ids, rather than committed without their spans.
   */
  private void await(CompletableResultCode flush) {
    await(flush, true);
  }

  /**
   * {@link #await(CompletableResultCode)}, confirming a completed flush with a later one when the
   * SDK is shared with other tasks only if {@code confirmIfShared}: a round's wait for a flush that
   * alone bounds the queue does not (see {@link #spanEnded()}).
   */
  private void await(CompletableResultCode flush, boolean confirmIfShared) {
    long waitStart = System.nanoTime();
    flush.join(exportTimeoutMs, TimeUnit.MILLISECONDS);
    if (confirmIfShared && flush.isDone() && sharedWithOtherTasks()) {
      flush = confirm(waitStart);
    }
    exportWaitNanos.add(System.nanoTime() - waitStart);
    if (!flush.isDone()) {
      throw new SpanExportTimeoutException(exportTimeoutMs);
    }
  }

  /**
   * Once a flush has completed, waits for one that began after it, so that it covers every span
   * this thread queued, whichever thread asked for it. A flush handed back already complete proves
   * nothing: it is the one just completed (the SDK keeps it in place for a moment), or the SDK's
   * stand-in for one that completed meanwhile; so ask again until a flush is handed back still
   * running, the worker thread having yet to run it. A span processor that exports as each span
   * ends (OpenTelemetry's {@code SimpleSpanProcessor}) hands back complete flushes only, and they
   * do cover every span ended before them: after {@link #CONFIRM_SPIN_MS} of those, take one.
   */
  private CompletableResultCode confirm(long waitStart) {
    long deadline = waitStart + TimeUnit.MILLISECONDS.toNanos(exportTimeoutMs);
    long spinUntil = Math.min(deadline, System.nanoTime() + CONFIRM_SPIN_NANOS);
    CompletableResultCode next = askWhileComplete(sdkTracerProvider.forceFlush(), spinUntil);
    long left = Math.max(0, deadline - System.nanoTime());
    return next.join(left, TimeUnit.NANOSECONDS);
  }

  /**
   * How long {@link #confirm} asks for a flush still running: far longer than the moment a batch
   * span processor's worker takes to pick up a new flush request.
   */
  static final long CONFIRM_SPIN_MS = 100;

  private static final long CONFIRM_SPIN_NANOS = TimeUnit.MILLISECONDS.toNanos(CONFIRM_SPIN_MS);

  void warnTraceOverBudgetOnce(int chunkTraces) {
    if (warnedOverBudget.compareAndSet(false, true)) {
      log.error(
          "A batch needs more than {} chunk traces: its last chunk trace grows past"
              + " spanlinks.trace.max.bytes ({} bytes). Raise the budget.",
          chunkTraces,
          settings.traceMaxBytes());
    }
  }

  void warnRandomIdsOnce() {
    if (warnedRandomIds.compareAndSet(false, true)) {
      log.warn(
          "Batch spans get random ids: the OpenTelemetry SDK in use was not built with spanlinks'"
              + " DeterministicIdGenerator (is the OpenTelemetry Java agent attached?). A batch"
              + " re-emitted after a crash will then show up as a second trace.");
    }
  }

  /**
   * Whether a span of {@code links} links is known to keep them all: one as large has been checked.
   * The SDK's link limit is the tracer provider's, the same for every span, so checking each span
   * (a copy of its data, as large as the span) would only repeat the answer.
   */
  boolean linksKnownKept(int links) {
    return links <= largestSpanKeptAllLinks.get();
  }

  /** A span of {@code links} links kept them all. */
  void linksKept(int links) {
    largestSpanKeptAllLinks.accumulateAndGet(links, Math::max);
  }

  void warnDroppedLinksOnce(long dropped) {
    if (warnedDroppedLinks.compareAndSet(false, true)) {
      log.error(
          "The OpenTelemetry SDK dropped span links. dropped=[{}] links.per.span=[{}]. Raise"
              + " OTEL_SPAN_LINK_COUNT_LIMIT to at least spanlinks.links.per.span + 1024.",
          dropped,
          settings.linksPerSpan());
    }
  }
}
