package dev.spanlinks.streams.trace.internals;

import dev.spanlinks.streams.trace.SpanExportTimeoutException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Lets a stream thread's commit, not its window close, wait for the exporter.
 *
 * <p>Spans are not part of the Kafka transaction, so the batches of a close may be committed only
 * once the exporter has their spans (see {@link BatchTracer#exportEndedSpans()}). Waiting at the
 * end of every close held the stream thread idle while the exporter encoded and sent; waiting at
 * the commit lets it process the next orders meanwhile. Kafka Streams has no hook before a commit,
 * but it always flushes the thread's producer before it commits the transaction (or, at least once,
 * the offsets), on the same thread: {@link dev.spanlinks.streams.SpansBeforeCommitClientSupplier}'s
 * producer calls {@link #beforeProducerFlush()} there.
 *
 * <p>A close defers its wait only on a thread whose producer has been seen doing so. Anywhere else
 * (a user's own client supplier, the {@code TopologyTestDriver}, the first commit of a thread) the
 * close waits as before: the guarantee never rests on a producer that might not wait.
 */
public final class SpansBeforeCommit {
  private static final ThreadLocal<Boolean> producerWaits = ThreadLocal.withInitial(() -> false);
  private static final ThreadLocal<Set<BatchTracer>> handedOver =
      ThreadLocal.withInitial(() -> Collections.newSetFromMap(new IdentityHashMap<>()));

  private SpansBeforeCommit() {}

  /**
   * Waits until every tracer of this thread has had its handed-over spans exported. Called by the
   * producer on the stream thread, before each flush that precedes a commit.
   *
   * @throws SpanExportTimeoutException when the exporter does not take them in time: the commit
   *     fails, the transaction is aborted, and the batches are emitted again with the same ids
   */
  public static void beforeProducerFlush() {
    producerWaits.set(true);
    // One at a time, each removed once done: if one throws, the rest stay for the next attempt.
    handedOver
        .get()
        .removeIf(
            tracer -> {
              tracer.awaitHandedOver();
              return true;
            });
  }

  /** True when this thread's producer waits for handed-over spans before it commits. */
  static boolean commitWaitsOnThisThread() {
    return producerWaits.get();
  }

  /** The next commit of this thread waits for {@code tracer}'s handed-over spans. */
  static void awaitBeforeCommit(BatchTracer tracer) {
    handedOver.get().add(tracer);
  }
}
