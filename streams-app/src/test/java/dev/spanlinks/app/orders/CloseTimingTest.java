package dev.spanlinks.app.orders;

import static dev.spanlinks.app.orders.TestOrder.traced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.BatchConfig;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When windows close: held back to the wall clock against producers with fast clocks, and on an
 * idle task even while records that do not move stream time keep arriving.
 */
class CloseTimingTest {
  @TempDir Path stateDir;

  /** The fixture's wall clock starts at 2026-03-01T00:00:00Z. */
  private static final Instant WALL = TopologyFixture.WALL_CLOCK_START;

  @Test
  void shouldNotLetAProducerWithAFastClockMakeOtherProducersOrdersLate() {
    try (TopologyFixture fixture =
        new TopologyFixture(stateDir, Map.of(BatchConfig.IDLE_CLOSE_MS_CONFIG, 3_600_000L))) {
      fixture.send(traced(1).key("eu").at(WALL.minus(Duration.ofMinutes(10))));
      // Its producer's clock runs 15 minutes fast: stream time jumps past 23:00's end + grace.
      fixture.send(traced(2).key("eu").at(WALL.plus(Duration.ofMinutes(15))));
      // On time by the wall clock, from a producer with a correct clock.
      fixture.send(traced(3).key("eu").at(WALL.minus(Duration.ofMinutes(1))));
      assertThat(fixture.late.readValuesToList()).as("nothing late").isEmpty();
      assertThat(fixture.batches.readValuesToList()).as("23:00 still open by the wall").isEmpty();

      // The wall clock passes 00:00 + grace: the close check closes 23:00 without more input.
      fixture.advanceWallClock(Duration.ofMinutes(5).plusSeconds(1));
      List<OrderBatch> batches = fixture.batches.readValuesToList();
      assertThat(batches).hasSize(1);
      assertThat(batches.get(0).windowStart()).isEqualTo(WALL.minus(Duration.ofHours(1)));
      assertThat(batches.get(0).orderCount()).as("both on-time orders").isEqualTo(2);

      // The fast producer's own order is batched in the hour its event time names.
      fixture.advanceWallClock(Duration.ofHours(1));
      List<OrderBatch> next = fixture.batches.readValuesToList();
      assertThat(next).singleElement().extracting(OrderBatch::windowStart).isEqualTo(WALL);
      assertThat(next.get(0).orderCount()).isEqualTo(1);
    }
  }

  @Test
  void shouldCloseAnIdleTaskEvenWhileOldOrdersKeepArriving() {
    try (TopologyFixture fixture =
        new TopologyFixture(stateDir, Map.of(BatchConfig.IDLE_CLOSE_MS_CONFIG, 60_000L))) {
      fixture.send(traced(1).at("2026-01-15T10:30:00Z"));
      // A retry job resends orders of the same hour every 20 s: stream time does not move.
      for (int n = 2; n <= 6; n++) {
        fixture.advanceWallClock(Duration.ofSeconds(20));
        fixture.send(traced(n).at("2026-01-15T10:20:00Z"));
      }
      List<OrderBatch> batches = fixture.batches.readValuesToList();
      assertThat(batches).as("closed 60 s after stream time last moved").hasSize(1);
      assertThat(batches.get(0).orderCount()).isEqualTo(3); // orders 1, 2 and 3 (at 20 and 40 s)
      assertThat(fixture.late.readValuesToList())
          .as("orders 4 to 6 came after the close")
          .hasSize(3);
    }
  }

  @Test
  void shouldNotCloseWhileTheTaskWorksThroughABacklogOfTheSameHour() {
    try (TopologyFixture fixture =
        new TopologyFixture(stateDir, Map.of(BatchConfig.IDLE_CLOSE_MS_CONFIG, 60_000L))) {
      // The hour's latest order came first; the rest arrive without a pause long enough to be
      // quiet (5 s gaps, under CloseWindowsProcessor.QUIET_MS), for two minutes.
      fixture.send(traced(0).at("2026-01-15T10:59:00Z"));
      for (int n = 1; n <= 24; n++) {
        fixture.advanceWallClock(Duration.ofSeconds(5));
        fixture.send(traced(n).at("2026-01-15T10:30:00Z"));
      }
      assertThat(fixture.batches.readValuesToList()).isEmpty();
      assertThat(fixture.late.readValuesToList()).isEmpty();

      fixture.advanceWallClock(Duration.ofSeconds(11));
      assertThat(fixture.batches.readValuesToList())
          .singleElement()
          .extracting(OrderBatch::orderCount)
          .isEqualTo(25L);
    }
  }

  @Test
  void shouldKeepTheIdleCloseOffWhileStreamTimeMoves() {
    try (TopologyFixture fixture =
        new TopologyFixture(stateDir, Map.of(BatchConfig.IDLE_CLOSE_MS_CONFIG, 60_000L))) {
      for (int n = 0; n < 6; n++) {
        fixture.send(traced(n).at(Instant.parse("2026-01-15T10:30:00Z").plusSeconds(n)));
        fixture.advanceWallClock(Duration.ofSeconds(20));
      }
      assertThat(fixture.batches.readValuesToList()).isEmpty();
    }
  }

  @Test
  void shouldGiveBatchesOfOneKeyFromTwoPartitionsDifferentIds() {
    String first;
    String second;
    try (TopologyFixture fixture = new TopologyFixture(stateDir.resolve("p0"))) {
      fixture.send(traced(1).at("2026-01-15T10:30:00Z"));
      fixture.send(traced(2).at("2026-01-15T11:30:00Z"));
      first = fixture.batches.readValue().traceId();
    }
    BatchConfig partitionThree =
        new BatchConfig(
                Map.of(
                    BatchConfig.APPLICATION_ID_CONFIG,
                    TopologyFixture.APPLICATION_ID,
                    "bootstrap.servers",
                    "unused:9092"))
            .withBatchIdsPartition(3);
    try (TopologyFixture fixture =
        new TopologyFixture(
            stateDir.resolve("p3"),
            Map.copyOf(partitionThree.originals()),
            Sampler.parentBased(Sampler.alwaysOn()))) {
      fixture.send(traced(1).at("2026-01-15T10:30:00Z"));
      fixture.send(traced(2).at("2026-01-15T11:30:00Z"));
      OrderBatch batch = fixture.batches.readValue();
      second = batch.traceId();
      assertThat(batch.partition()).isEqualTo(3);
    }
    assertThat(second).isNotEqualTo(first);
  }
}
