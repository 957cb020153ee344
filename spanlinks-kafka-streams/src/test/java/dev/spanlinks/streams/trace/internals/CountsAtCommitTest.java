package dev.spanlinks.streams.trace.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Counts of a transaction count when it commits, never when it aborts; without one, at once. */
class CountsAtCommitTest {
  private final AtomicInteger counted = new AtomicInteger();

  @AfterEach
  void forget() {
    CountsAtCommit.closed();
  }

  @Test
  void shouldCountAtOnceWithoutATransactionalProducer() {
    CountsAtCommit.count(counted::incrementAndGet);
    assertThat(counted).hasValue(1);
  }

  @Test
  void shouldCountACommittedTransactionOnceAndAnAbortedOneNever() {
    CountsAtCommit.holdUntilCommit();
    CountsAtCommit.count(counted::incrementAndGet);
    CountsAtCommit.count(counted::incrementAndGet);
    assertThat(counted).as("held until the commit").hasValue(0);
    CountsAtCommit.committed();
    assertThat(counted).hasValue(2);
    CountsAtCommit.committed();
    assertThat(counted).as("each held count once").hasValue(2);

    CountsAtCommit.count(counted::incrementAndGet);
    CountsAtCommit.aborted();
    CountsAtCommit.committed();
    assertThat(counted).as("an aborted transaction's records count when they commit").hasValue(2);

    CountsAtCommit.count(counted::incrementAndGet);
    CountsAtCommit.holdUntilCommit();
    CountsAtCommit.committed();
    assertThat(counted).as("a replaced producer never committed what it held").hasValue(2);
  }

  @Test
  void shouldHoldPerThread() throws Exception {
    CountsAtCommit.holdUntilCommit();
    Thread other = new Thread(() -> CountsAtCommit.count(counted::incrementAndGet));
    other.start();
    other.join();
    assertThat(counted).as("another thread has no transaction: counted at once").hasValue(1);
  }

  @Test
  void shouldTellCommitsOnlyOfAThreadWithATransactionalProducer() {
    assertThat(CountsAtCommit.commitsSoFar()).as("no transactional producer").isEmpty();
    CountsAtCommit.holdUntilCommit();
    long before = CountsAtCommit.commitsSoFar().orElseThrow();
    CountsAtCommit.aborted();
    assertThat(CountsAtCommit.commitsSoFar()).as("an abort commits nothing").hasValue(before);
    CountsAtCommit.committed();
    CountsAtCommit.holdUntilCommit();
    assertThat(CountsAtCommit.commitsSoFar())
        .as("a commit, and a new producer that does not start again from 0")
        .hasValue(before + 1);
  }
}
