package dev.spanlinks.streams.trace.internals;

import java.util.ArrayList;
import java.util.List;

/**
 * Under exactly-once, a stream thread's counts wait for the commit of the transaction they belong
 * to: an aborted transaction's records are processed again, and counting them at once would count
 * them twice ({@code batched + duplicate + late + dead_lettered} would pass the records read). The
 * thread's transactional producer ({@code CheckedWritesProducer}) says when transactions begin to
 * matter, commit and abort; a thread without one (at-least-once, another client supplier, the test
 * driver) counts at once.
 *
 * <p>Per thread, because a stream thread owns its producer and its transaction: every count and
 * every commit of a thread happen on that thread. Held counts are actions, not totals: a commit
 * interval's worth of closes and late records, a few per record at most.
 */
public final class CountsAtCommit {
  private static final ThreadLocal<List<Runnable>> HELD = new ThreadLocal<>();

  private CountsAtCommit() {}

  /**
   * The calling thread's producer has initialized transactions: from now on its counts are held
   * until each commit. Whatever a previous producer of the thread held is forgotten: a producer
   * replaced (fenced, reset) never committed it.
   */
  public static void holdUntilCommit() {
    HELD.set(new ArrayList<>());
  }

  /** The calling thread's transaction committed: its held counts are counted now. */
  public static void committed() {
    List<Runnable> held = HELD.get();
    if (held != null) {
      held.forEach(Runnable::run);
      held.clear();
    }
  }

  /** The calling thread's transaction aborted: its records are processed again, counted then. */
  public static void aborted() {
    List<Runnable> held = HELD.get();
    if (held != null) {
      held.clear();
    }
  }

  /** The calling thread's producer is closed: nothing more commits on it. */
  public static void closed() {
    HELD.remove();
  }

  /** Counts now, or at the calling thread's next commit. */
  static void count(Runnable count) {
    List<Runnable> held = HELD.get();
    if (held == null) {
      count.run();
    } else {
      held.add(count);
    }
  }
}
