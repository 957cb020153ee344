package dev.spanlinks.streams.trace.internals;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Under exactly-once, a stream thread's counts wait for the commit of the transaction they belong
 * to: an aborted transaction's records are processed again, and counting them at once would count
 * them twice ({@code batched + duplicate + late + dead_lettered} would pass the records read). The
 * thread's transactional producer ({@code CheckedWritesProducer}) says when transactions begin to
 * matter, commit and abort; a thread without one (at-least-once, another client supplier, the test
 * driver) counts at once.
 *
 * <p>The same signal tells a window close when its decision has committed ({@link #commitsSoFar}):
 * a close decides what its batches hold in one transaction and exports their spans only after that
 * transaction committed, so a close cut off after its export is re-run with the same content.
 *
 * <p>Per thread, because a stream thread owns its producer and its transaction: every count and
 * every commit of a thread happen on that thread. Held counts are actions, not totals: a commit
 * interval's worth of closes and late records, a few per record at most.
 */
public final class CountsAtCommit {
  /** One stream thread's transactions: held counts (null: not transactional) and commits. */
  private static final class Transactions {
    private List<Runnable> held;

    /** Never reset, not even for a new producer: a close compares it with an earlier reading. */
    private long commits;
  }

  private static final ThreadLocal<Transactions> THREAD =
      ThreadLocal.withInitial(Transactions::new);

  private CountsAtCommit() {}

  /**
   * The calling thread's producer has initialized transactions: from now on its counts are held
   * until each commit. Whatever a previous producer of the thread held is forgotten: a producer
   * replaced (fenced, reset) never committed it.
   */
  public static void holdUntilCommit() {
    THREAD.get().held = new ArrayList<>();
  }

  /** The calling thread's transaction committed: its held counts are counted now. */
  public static void committed() {
    Transactions transactions = THREAD.get();
    transactions.commits++;
    if (transactions.held != null) {
      transactions.held.forEach(Runnable::run);
      transactions.held.clear();
    }
  }

  /** The calling thread's transaction aborted: its records are processed again, counted then. */
  public static void aborted() {
    List<Runnable> held = THREAD.get().held;
    if (held != null) {
      held.clear();
    }
  }

  /** The calling thread's producer is closed: nothing more commits on it. */
  public static void closed() {
    THREAD.get().held = null;
  }

  /**
   * How many transactions the calling thread has committed so far; empty when it has no
   * transactional producer of spanlinks' (what it writes then counts as done once written).
   */
  public static OptionalLong commitsSoFar() {
    Transactions transactions = THREAD.get();
    return transactions.held == null ? OptionalLong.empty() : OptionalLong.of(transactions.commits);
  }

  /** Counts now, or at the calling thread's next commit. */
  static void count(Runnable count) {
    List<Runnable> held = THREAD.get().held;
    if (held == null) {
      count.run();
    } else {
      held.add(count);
    }
  }
}
