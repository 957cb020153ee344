package dev.spanlinks.streams;

import dev.spanlinks.streams.state.BatchBlockStore;
import dev.spanlinks.streams.state.Contribution;
import dev.spanlinks.streams.state.ContributionStore;
import dev.spanlinks.streams.trace.KafkaHeadersSetter;
import dev.spanlinks.streams.trace.MessagingConventions;
import dev.spanlinks.streams.trace.internals.BatchSpanSettings;
import dev.spanlinks.streams.trace.internals.BatchTracer;
import dev.spanlinks.streams.trace.internals.CountsAtCommit;
import dev.spanlinks.streams.trace.internals.KafkaClientAttributes;
import dev.spanlinks.streams.trace.internals.SpanlinksMetrics;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every order of an open window in its batch's current block (see {@link OpenBlocks}) until
 * the window closes, then emits the window's batches.
 *
 * <p>Close time is this task's stream time (the latest event time seen), but never ahead of the
 * wall clock: one producer whose clock runs fast must not close the hour early for everyone else
 * (its own orders are batched in the window their event time names). After {@code
 * spanlinks.idle.close.ms} without a record that moves stream time on, wall-clock time stands in:
 * stream time only moves when records arrive, and the last hour must not wait forever on a quiet
 * topic, nor on a retry job that keeps resending old orders. Due windows close before the incoming
 * order is stored, and an order whose window has closed goes to the late topic.
 *
 * <p>A close cut off after its spans went out (fenced, killed) must be re-run with the same
 * content: spans are not transactional, and the backend keeps the first copy as readily as the
 * second. A close that a record's event time decides is re-run by the same record, after the same
 * records, so with the same content. One the wall clock decides (an idle close, or stream time held
 * back to the clock) is not: under exactly-once it has two steps. It decides (the windows before
 * {@code closed-through} are closed, any order for them from now on is late) and that decision
 * commits before the decided windows are emitted (spans, batch records, tombstones) in the next
 * transaction. Cut off in between or during the emission, the committed state has {@code
 * emitted-through} behind {@code closed-through}, and whoever owns the task next emits those
 * windows with the orders the decision froze.
 *
 * <p>Nothing derived from input survives {@link #init}: Kafka Streams calls it again on this same
 * instance when it revives a task closed dirty, after restoring the state of the last commit.
 *
 * <p>A batch is forwarded with a brand-new record, never the record that triggered the close: its
 * headers carry only the batch span's context, and the batch span has no parent.
 */
final class CloseWindowsProcessor implements Processor<String, CapturedRecord, Object, Object> {
  private static final Logger log = LoggerFactory.getLogger(CloseWindowsProcessor.class);
  private static final RateLimitedWarning LATE_ORDER =
      new RateLimitedWarning(
          log, "Routing late order. topic=[{}] partition=[{}] offset=[{}] closedThrough=[{}]");
  private static final String CLOSED_THROUGH = "closed-through";

  /**
   * No block id at or above it has been given: ids are taken in ranges of {@link
   * #BLOCK_IDS_RESERVED}, so the store is written once a range, not once a block (a one-order batch
   * is a block).
   */
  private static final String NEXT_BLOCK_ID = "next-block-id";

  static final long BLOCK_IDS_RESERVED = 1024;
  private static final String EMITTED_THROUGH = "emitted-through";

  /** {@link #decisionCommits} when the decision is in the state restored at init: committed. */
  private static final long DECIDED_BEFORE_INIT = Long.MIN_VALUE;

  /** What decided a close: whether its decision must commit before it is emitted. */
  private enum CloseCause {
    /** A record's event time, not held back by the wall clock: the same input decides it again. */
    INPUT,
    /** Stream time that was held back to the wall clock: when it closes depends on the clock. */
    WALL_CLOCK,
    /** An idle close: the wall clock stands in for stream time. */
    IDLE
  }

  /** The longest gap between records that an idle close waits for: see {@link #closeIfDue}. */
  static final long QUIET_MS = 10_000;

  private final BatchWindows windows;
  private final BatchConfig config;
  private final BatchTracer tracer;
  private final TextMapPropagator propagator;
  private final SpanlinksMetrics metrics;
  private final LinkNames names;

  private ProcessorContext<Object, Object> context;
  private BatchBlockStore blocks;
  private KeyValueStore<String, Long> progress;

  private long nextBlockId;
  private long blockIdsReservedUpTo;
  private long closedThrough;

  /** Windows before this boundary have been emitted; those up to {@link #closedThrough} wait. */
  private long emittedThrough;

  /**
   * The thread's committed transactions when the windows up to {@link #closedThrough} were decided
   * ({@link CountsAtCommit#commitsSoFar}): they are emitted once a later commit went through.
   */
  private long decisionCommits;

  private long streamTimeMs = Long.MIN_VALUE;
  private long lastStreamTimeAdvanceWallMs;
  private long lastRecordWallMs;
  private int idsPartition;
  private final Children children;

  /**
   * Batches were emitted whose spans the exporter may still be sending. Batches are readable once
   * committed: as soon as the spans are out, the next record or close check asks for a commit,
   * rather than waiting for the interval (commit.interval.ms, a second by spanlinks' default). Not
   * at once: the commit would wait for the exporter while records could have been processed.
   */
  private boolean commitOnceExported;

  /**
   * Checks for a decision's commit and for {@link #commitOnceExported} while no record comes; null
   * when neither is awaited.
   */
  private Cancellable pendingCheck;

  /** How often {@link #pendingCheck} looks: short, it only runs between a close and its commits. */
  static final Duration EXPORT_CHECK_INTERVAL = Duration.ofMillis(10);

  /**
   * With the default names, batches and late records to two children by name: how the close step's
   * unit tests drive it alone.
   */
  CloseWindowsProcessor(BatchConfig config, OpenTelemetry openTelemetry) {
    this(
        config,
        openTelemetry,
        LinkNames.DEFAULT,
        new Children(Names.ORDER_BATCHES_SINK, Names.LATE_ORDERS_SINK));
  }

  /**
   * Where batches and late records go: to two children by name, or (null) to every child, batches
   * wrapped in {@link EmittedBatch} (a DSL {@code process} node, whose children {@link
   * LinkedWindows} splits by that type).
   */
  record Children(String batches, String late) {}

  /**
   * @param names the stores' names, and the batch ids' namespace
   * @param children where batches and late records go; null: every child, see {@link Children}
   */
  CloseWindowsProcessor(
      BatchConfig config, OpenTelemetry openTelemetry, LinkNames names, Children children) {
    this.children = children;
    this.names = names;
    this.config = config;
    this.windows = new BatchWindows(config.windowSizeMs(), config.windowGraceMs());
    MessagingConventions conventions = MessagingConventions.of(openTelemetry);
    this.tracer =
        new BatchTracer(
            openTelemetry,
            new BatchSpanSettings(
                config.applicationId(),
                config.ordersTopic(),
                config.linksPerSpan(),
                config.reverseLinks(),
                names.batchIdsNamespace(config.batchIdsNamespace()),
                config.linkAttributes(),
                config.repartitionByKey(),
                config.traceMaxBytes(),
                conventions,
                KafkaClientAttributes.of(
                    conventions,
                    // Tasks are created on their stream thread, whose name holds the client id.
                    config.clientId().or(KafkaClientAttributes::streamsClientIdOfThisThread),
                    config.firstBootstrapServer(),
                    config.kafkaClusterId())),
            config.exportTimeoutMs());
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
    this.metrics = new SpanlinksMetrics(openTelemetry);
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    this.progress = context.getStateStore(names.progressStore());
    Long stored = progress.get(CLOSED_THROUGH);
    this.closedThrough = stored == null ? BatchWindows.NOTHING_CLOSED : stored;
    Long storedBlockId = progress.get(NEXT_BLOCK_ID);
    this.nextBlockId = storedBlockId == null ? 0 : storedBlockId;
    this.blockIdsReservedUpTo = nextBlockId;
    Long storedEmitted = progress.get(EMITTED_THROUGH);
    // State written before closes had two steps emitted what it closed in the same transaction.
    this.emittedThrough = storedEmitted == null ? closedThrough : storedEmitted;
    this.decisionCommits = DECIDED_BEFORE_INIT;
    // Kafka Streams may init this processor again after wiping and restoring the task's state
    // (a revived task): nothing in memory may outlive that. A stream time kept from before would
    // close windows before the re-processed orders are stored again, making them late.
    this.blocks =
        new BatchBlockStore(context.getStateStore(names.contributionsStore()), this::takeBlockId);
    this.commitOnceExported = false;
    this.pendingCheck = null;
    this.streamTimeMs = Long.MIN_VALUE;
    // One source topic, so this task reads exactly the input partition of its task id.
    this.idsPartition = config.batchIdsPartition().orElse(context.taskId().partition());
    this.lastStreamTimeAdvanceWallMs = context.currentSystemTimeMs();
    this.lastRecordWallMs = lastStreamTimeAdvanceWallMs;
    context.schedule(
        Duration.ofMillis(config.closeCheckIntervalMs()),
        PunctuationType.WALL_CLOCK_TIME,
        this::closeIfDue);
  }

  @Override
  public void process(Record<String, CapturedRecord> record) {
    checkPending();
    long wallClockMs = context.currentSystemTimeMs();
    lastRecordWallMs = wallClockMs;
    if (record.timestamp() > streamTimeMs) {
      streamTimeMs = record.timestamp();
      lastStreamTimeAdvanceWallMs = wallClockMs;
    }
    decideClose(
        windows.closedThrough(closeTime(wallClockMs)),
        streamTimeMs <= wallClockMs ? CloseCause.INPUT : CloseCause.WALL_CLOCK);
    if (windows.isClosed(record.timestamp(), closedThrough)) {
      routeLate(record);
    } else {
      store(record);
    }
  }

  /**
   * Every close check: windows that stream time passed while the wall clock lagged behind close
   * now; on an idle task, wall-clock time closes the rest.
   *
   * <p>Idle: no record has moved stream time on for {@code spanlinks.idle.close.ms}, and no record
   * at all has come for a quiet period ({@link #QUIET_MS}, or the idle time if shorter). Records
   * that do not move stream time must not hold the close off (a job resending old orders every few
   * minutes kept the last hour open forever), but a task still working through a backlog of one
   * hour's orders, whose latest came first, is not idle.
   */
  private void closeIfDue(long wallClockMs) {
    checkPending();
    if (wallClockMs - lastStreamTimeAdvanceWallMs >= config.idleCloseMs()
        && wallClockMs - lastRecordWallMs >= Math.min(QUIET_MS, config.idleCloseMs())) {
      decideClose(windows.closedThrough(wallClockMs), CloseCause.IDLE);
    } else {
      decideClose(windows.closedThrough(closeTime(wallClockMs)), CloseCause.WALL_CLOCK);
    }
  }

  /** Emits decided windows whose decision committed; asks for the commit of exported spans. */
  private void checkPending() {
    emitDecidedWindows();
    if (commitOnceExported && tracer.handedOverExported()) {
      context.commit();
      commitOnceExported = false;
    }
    if (pendingCheck != null && !commitOnceExported && emittedThrough >= closedThrough) {
      pendingCheck.cancel();
      pendingCheck = null;
    }
  }

  /** The input may have ended with this close: no record would come to move it on. */
  private void checkPendingUntilDone() {
    if (pendingCheck == null) {
      pendingCheck =
          context.schedule(
              EXPORT_CHECK_INTERVAL, PunctuationType.WALL_CLOCK_TIME, now -> checkPending());
    }
  }

  /** Stream time, held back to the wall clock (a producer's fast clock closes nothing early). */
  private long closeTime(long wallClockMs) {
    return Math.min(streamTimeMs, wallClockMs);
  }

  private void store(Record<String, CapturedRecord> record) {
    CapturedRecord captured = record.value();
    ContributionStore.BatchWindow batch =
        new ContributionStore.BatchWindow(windows.startOf(record.timestamp()), record.key());
    Contribution contribution =
        new Contribution(
            captured.id(),
            record.timestamp(),
            captured.partition(),
            captured.offset(),
            captured.sum(),
            captured.sumKey(),
            captured.spanContext(),
            0,
            captured.linkAttributes());
    blocks.add(batch, contribution);
  }

  private long takeBlockId() {
    if (nextBlockId == blockIdsReservedUpTo) {
      blockIdsReservedUpTo = nextBlockId + BLOCK_IDS_RESERVED;
      progress.put(NEXT_BLOCK_ID, blockIdsReservedUpTo);
    }
    long id = nextBlockId++;
    return id;
  }

  private void routeLate(Record<String, CapturedRecord> record) {
    CapturedRecord late = record.value();
    LATE_ORDER.warn(config.ordersTopic(), late.partition(), late.offset(), closedThrough);
    metrics.late();
    forward(late.late(), children == null ? null : children.late());
  }

  /**
   * Closes the windows that end at or before {@code target}: from now on their orders are late.
   * Their batches are emitted at once when the input decided the close, or without a transactional
   * producer of spanlinks' (at least once, the test driver); a close the wall clock decided is
   * emitted once its decision has committed ({@link #emitDecidedWindows}), and so is any close
   * after it until then.
   *
   * <p>An idle close (wall clock standing in for stream time) moves the boundary only as far as
   * stream time or the last window it holds orders of, not on through the empty hours after them:
   * orders of those hours that arrive later (a replayed topic, a producer back from an outage, a
   * task that has seen no input yet) still find their windows open, as stream time alone would have
   * left them.
   */
  private void decideClose(long target, CloseCause cause) {
    if (target <= closedThrough) {
      return;
    }
    long lastStoredEnd = lastStoredWindowEnd(closedThrough, target);
    blocks.forgetOpenBlocksBefore(target);
    long reached =
        cause == CloseCause.IDLE
            ? Math.max(
                windows.closedThrough(closeTime(context.currentSystemTimeMs())),
                Math.min(lastStoredEnd, target))
            : target;
    if (reached <= closedThrough) {
      return;
    }
    boolean nothingToEmit = emittedThrough >= closedThrough && lastStoredEnd == NOTHING_STORED;
    closedThrough = reached;
    progress.put(CLOSED_THROUGH, reached);
    if (nothingToEmit) {
      emittedThrough = reached;
      progress.put(EMITTED_THROUGH, reached);
      return;
    }
    OptionalLong commits = CountsAtCommit.commitsSoFar();
    if (cause != CloseCause.INPUT && commits.isPresent()) {
      decisionCommits = commits.getAsLong();
      context.commit();
      checkPendingUntilDone();
    } else {
      emitDecidedWindows(); // waits all the same while a wall-clock decision has not committed
    }
  }

  /** No window holds orders in the range asked: see {@link #lastStoredWindowEnd}. */
  private static final long NOTHING_STORED = BatchWindows.NOTHING_CLOSED;

  /**
   * The end of the last window starting in {@code [fromBoundary, toBoundary)} that holds orders.
   */
  private long lastStoredWindowEnd(long fromBoundary, long toBoundary) {
    OptionalLong last = blocks.lastWindowStart(scanStart(fromBoundary), toBoundary);
    return last.isPresent() ? last.getAsLong() + windows.sizeMs() : NOTHING_STORED;
  }

  /** The first window start a scan from {@code boundary} covers. */
  private static long scanStart(long boundary) {
    return boundary == BatchWindows.NOTHING_CLOSED ? Long.MIN_VALUE : boundary;
  }

  /**
   * Emits the decided windows, those between {@link #emittedThrough} and {@link #closedThrough},
   * once their decision is committed: no order can join them any more, so whoever emits them, now
   * or after a crash, emits the same batches under the same ids.
   */
  private void emitDecidedWindows() {
    if (emittedThrough >= closedThrough) {
      return;
    }
    OptionalLong commits = CountsAtCommit.commitsSoFar();
    if (commits.isPresent() && commits.getAsLong() <= decisionCommits) {
      return; // the decision's transaction has not committed yet
    }
    if (emitWindows(emittedThrough, closedThrough)) {
      tracer.exportEndedSpans();
      commitOnceExported = true;
      checkPendingUntilDone();
    }
    emittedThrough = closedThrough;
    progress.put(EMITTED_THROUGH, closedThrough);
  }

  /**
   * Emits every batch of the windows starting in {@code [fromBoundary, toBoundary)}, then deletes
   * them from the store; true when there was one.
   */
  private boolean emitWindows(long fromBoundary, long toBoundary) {
    Closing closing = new Closing();
    boolean any = blocks.drain(scanStart(fromBoundary), toBoundary, closing);
    emit(closing.open);
    return any;
  }

  /**
   * The batches of one close, as the store hands their contributions over: each batch is emitted as
   * soon as the next one begins.
   */
  private final class Closing implements BatchBlockStore.Drain {
    private BatchAccumulator open;

    private BatchAccumulator batch(ContributionStore.BatchWindow batch) {
      if (open == null || !open.isFor(batch)) {
        emit(open);
        long windowEnd = batch.windowStartMs() + windows.sizeMs();
        open =
            new BatchAccumulator(
                tracer,
                batch,
                windowEnd,
                idsPartition,
                config.dedupeTableMaxBytes(),
                () -> blocks.sampledAhead(batch));
      }
      return open;
    }

    @Override
    public void contribution(ContributionStore.BatchWindow batch, Contribution contribution) {
      batch(batch).add(contribution);
    }

    @Override
    public void sampled(ContributionStore.BatchWindow batch) {
      batch(batch).someLinkSampled();
    }

    /** Counted and logged; the batch closes with what of it could be read. */
    @Override
    public void unreadableBlock(
        ContributionStore.BatchWindow batch, int bytes, RuntimeException reason) {
      batch(batch);
      metrics.unreadableBlock();
      log.error(
          "Skipping an unreadable stored block. batchKey=[{}] windowStart=[{}] bytes=[{}]"
              + " reason=[{}]",
          batch.batchKey(),
          Instant.ofEpochMilli(batch.windowStartMs()),
          bytes,
          reason.toString());
    }
  }

  private void forward(Record<?, ?> record, String child) {
    @SuppressWarnings("unchecked") // Object is the output type: a batch or a late record
    Record<Object, Object> output = (Record<Object, Object>) record;
    if (child != null) {
      context.forward(output, child);
    } else {
      context.forward(output);
    }
  }

  /**
   * The batch record as it goes out: whole, unless its totals would take it past the record limit
   * (thousands of distinct currencies or sum keys in one batch). Then it goes without them, counted
   * in {@code spanlinks.store.failures} and logged: a record the broker refuses would fail the
   * close on every restart. The batch key's length is bounded at the edge, so nothing else can
   * grow.
   */
  /** Room for a serializer that names the batch's fields at more length than its JSON does. */
  private static final int FIELD_NAMES_MARGIN = 256;

  private LinkedBatch withinRecordLimit(BatchAccumulator batch, LinkedBatch value) {
    long headroom = config.recordMaxBytes() - WriteLimits.RECORD_OVERHEAD_BYTES - 256L;
    long keyBytes = WriteLimits.utf8Length(value.key());
    if (batch.jsonBytesBound() + keyBytes <= headroom
        || LinkedBatchJson.write(value).length + FIELD_NAMES_MARGIN + keyBytes <= headroom) {
      return value;
    }
    metrics.totalsOmitted();
    log.error(
        "Left the totals out of a batch record: with them it would pass the record limit ({})."
            + " batchKey=[{}] windowStart=[{}] totals=[{}]",
        BatchConfig.RECORD_MAX_BYTES_CONFIG,
        value.key().length() > 80 ? value.key().substring(0, 80) + "..." : value.key(),
        value.windowStart(),
        value.sums().size());
    return value.withoutSums();
  }

  private void emit(BatchAccumulator batch) {
    if (batch == null) {
      return;
    }
    try (batch) {
      forwardBatch(batch);
    }
  }

  @SuppressWarnings("try") // the scope makes the batch span current for the forward
  private void forwardBatch(BatchAccumulator batch) {
    Span batchSpan = batch.finishSpans();
    LinkedBatch value = withinRecordLimit(batch, batch.toLinkedBatch(batchSpan.getSpanContext()));
    Headers headers = new RecordHeaders();
    try (Scope ignored = batchSpan.makeCurrent()) {
      propagator.inject(Context.current(), headers, KafkaHeadersSetter.INSTANCE);
      forward(
          new Record<Object, Object>(
              batch.batchKey(),
              children == null ? new EmittedBatch(value) : value,
              batch.timestampMs(),
              headers),
          children == null ? null : children.batches());
    } finally {
      batchSpan.end();
    }
    tracer.spanEnded();
    if (batch.unsummedCount() > 0) {
      log.error(
          "Left amounts out of a batch total: stored outside the monetary range."
              + " batchKey=[{}] windowStart=[{}] orders=[{}]",
          batch.batchKey(),
          value.windowStart(),
          batch.unsummedCount());
    }
    metrics.batchClosed(
        batch.orderCount(),
        value.linkedCount(),
        value.unlinkedCount(),
        value.duplicateCount(),
        batch.unsummedCount(),
        context.currentSystemTimeMs() - value.windowEnd().toEpochMilli());
  }
}
