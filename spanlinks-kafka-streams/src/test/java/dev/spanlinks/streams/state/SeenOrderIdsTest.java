package dev.spanlinks.streams.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SeenOrderIdsTest {
  private static final long UNBOUNDED = Long.MAX_VALUE;

  @Test
  void shouldAcceptEachIdOnceThroughManyGrowths() {
    try (SeenOrderIds seen = new SeenOrderIds(UNBOUNDED)) {
      for (int i = 0; i < 100_000; i++) {
        assertThat(seen.add("order-" + i)).isTrue();
      }
      for (int i = 0; i < 100_000; i += 7) {
        assertThat(seen.add("order-" + i)).as("order-%d again", i).isFalse();
      }
      assertThat(seen.add("order-100000")).isTrue();
      assertThat(seen.size()).isEqualTo(100_001);
      assertThat(seen.spilledCount()).as("nothing spilled without a bound").isZero();
    }
  }

  @Test
  void shouldTellIdsApartThatDifferOnlyInCaseOrEncoding() {
    try (SeenOrderIds seen = new SeenOrderIds(UNBOUNDED)) {
      assertThat(seen.add("o-é")).isTrue();
      assertThat(seen.add("o-e\u0301")).isTrue();
      assertThat(seen.add("O-é")).isTrue();
      assertThat(seen.add("")).isTrue();
      assertThat(seen.add("")).isFalse();
      // Unpaired surrogates (JSON can carry them as escapes): UTF-8 would make both "o-?".
      assertThat(seen.add("o-\ud800")).isTrue();
      assertThat(seen.add("o-\udbff")).isTrue();
      assertThat(seen.add("o-\ud800")).isFalse();
    }
  }

  /**
   * Against the obvious model (a set of strings), on seeded random streams of ids with repeats far
   * apart and close together: every answer the same, the table never past its bound, and the spill
   * file gone after close.
   */
  @Test
  void shouldAnswerAsASetOfStringsWhileItsTableStaysWithinTheBound() throws Exception {
    long maxTableBytes = 4_096; // 256 slots: a spill every 128 distinct ids
    for (long seed = 1; seed <= 20; seed++) {
      Random random = new Random(seed);
      int distinct = 500 + random.nextInt(5_000);
      Set<String> model = new HashSet<>();
      Path spillFile;
      try (SeenOrderIds seen = new SeenOrderIds(maxTableBytes)) {
        for (int i = 0; i < 3 * distinct; i++) {
          String id = "order-" + random.nextInt(distinct);
          assertThat(seen.add(id)).as("seed %d, add #%d: %s", seed, i, id).isEqualTo(model.add(id));
          assertThat(seen.tableBytes())
              .as("seed %d: table bytes", seed)
              .isLessThan(maxTableBytes + 1);
        }
        assertThat(seen.size()).isEqualTo(model.size());
        assertThat(seen.spilledCount()).as("seed %d: spilled", seed).isPositive();
        spillFile = seen.spillFile().orElseThrow();
        assertThat(spillFile).exists();
      }
      assertThat(spillFile).as("seed %d: the spill file after close", seed).doesNotExist();
    }
  }

  @Test
  void shouldKeepTheTableWithinTheBoundForAMillionDistinctIds() {
    long maxTableBytes = 1 << 20; // 32,768 ids a spill
    try (SeenOrderIds seen = new SeenOrderIds(maxTableBytes)) {
      for (int i = 0; i < 1_000_000; i++) {
        assertThat(seen.add("order-" + i)).isTrue();
      }
      assertThat(seen.tableBytes()).isLessThanOrEqualTo(maxTableBytes);
      assertThat(seen.add("order-0")).as("spilled first, found again").isFalse();
      assertThat(seen.add("order-999999")).isFalse();
      assertThat(seen.size()).isEqualTo(1_000_000);
    }
  }
}
