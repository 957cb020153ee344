package dev.spanlinks.app.orders;

import static dev.spanlinks.app.orders.TestOrder.traced;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link TopologyModelTest} takes for granted about Kafka's {@link TopologyTestDriver} and
 * {@link TopologyFixture}: the model is only exact if these hold.
 */
class TestDriverAssumptionsTest {
  @TempDir Path stateDir;

  /**
   * Every step of the wall clock of at least the punctuation interval fires the wall-clock
   * punctuator exactly once, at the new wall-clock time, whatever the steps before it: a missed
   * interval is not made up for, and the next one is due within one interval. The model punctuates
   * once per step, so its steps are never shorter than the interval.
   */
  @Test
  void shouldPunctuateOnceAtTheNewWallClockOnEveryStepOfAtLeastOneInterval() {
    List<Long> punctuations = new ArrayList<>();
    long start = TopologyFixture.WALL_CLOCK_START.toEpochMilli();
    long wall = start;
    try (TopologyTestDriver driver = punctuatingDriver(punctuations, start)) {
      for (long step :
          List.of(1_000L, 1_000L, 1_500L, 1_000L, 1_999L, 65_000L, 1_000L, 10_800_000L)) {
        int before = punctuations.size();
        driver.advanceWallClockTime(Duration.ofMillis(step));
        wall += step;
        assertThat(punctuations.subList(before, punctuations.size()))
            .as("punctuations after a step of %d ms", step)
            .containsExactly(wall);
      }
    }
    try (TopologyTestDriver restarted = punctuatingDriver(punctuations, wall)) {
      restarted.advanceWallClockTime(Duration.ofMillis(1_000));
      assertThat(punctuations)
          .as("after a restart, the first interval counts from the start")
          .hasSize(9);
    }
  }

  private static TopologyTestDriver punctuatingDriver(List<Long> punctuations, long wallClockMs) {
    Topology topology = new Topology();
    topology.addSource("in", new StringDeserializer(), new StringDeserializer(), "in");
    topology.addProcessor(
        "punctuate",
        () ->
            new Processor<String, String, Void, Void>() {
              @Override
              public void init(ProcessorContext<Void, Void> context) {
                context.schedule(
                    Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, punctuations::add);
              }

              @Override
              public void process(Record<String, String> record) {}
            },
        "in");
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "punctuation-check");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    return new TopologyTestDriver(topology, props, Instant.ofEpochMilli(wallClockMs));
  }

  /**
   * A restart of a restartable fixture keeps the stores (orders of open windows, the closed-through
   * boundary) and nothing else.
   */
  @Test
  void shouldKeepStoredOrdersAndTheClosedBoundaryAcrossARestart() {
    TopologyFixture fixture =
        TopologyFixture.restartable(stateDir, Map.of(), TopologyFixture.WALL_CLOCK_START);
    try {
      fixture.send(traced(1).at("2026-02-28T22:30:00Z"));
      fixture.send(traced(2).at("2026-02-28T23:10:00Z")); // closes 22:00-23:00
      assertThat(fixture.batches.readValuesToList())
          .extracting(OrderBatch::orderCount)
          .containsExactly(1L);

      fixture.advanceWallClock(Duration.ofSeconds(5));
      fixture = fixture.restart();
      assertThat(fixture.wallClock()).isEqualTo(TopologyFixture.WALL_CLOCK_START.plusSeconds(5));

      fixture.send(traced(3).at("2026-02-28T22:40:00Z"));
      assertThat(fixture.late.readValuesToList()).as("the boundary survived").hasSize(1);
      fixture.advanceWallClock(Duration.ofHours(3));
      List<OrderBatch> batches = fixture.batches.readValuesToList();
      assertThat(batches).as("the stored order survived").hasSize(1);
      assertThat(batches.get(0).windowStart()).isEqualTo(Instant.parse("2026-02-28T23:00:00Z"));
      assertThat(batches.get(0).orderCount()).isEqualTo(1);
    } finally {
      fixture.close();
    }
  }
}
