package dev.spanlinks.app;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** How each Kafka Streams state reads to the liveness and readiness probes. */
class HealthProbeTest {
  @ParameterizedTest(name = "{0}: live={1} ready={2}")
  @CsvSource({
    "CREATED,          true,  false",
    "REBALANCING,      true,  false",
    "RUNNING,          true,  true",
    "PENDING_SHUTDOWN, false, false",
    "NOT_RUNNING,      false, false",
    "PENDING_ERROR,    false, false",
    "ERROR,            false, false"
  })
  void shouldMapEveryKafkaStreamsState(State state, boolean live, boolean ready) {
    assertThat(HealthProbe.LIVE.isUp(state)).isEqualTo(live);
    assertThat(HealthProbe.READY.isUp(state)).isEqualTo(ready);
  }

  @ParameterizedTest
  @EnumSource(State.class)
  void shouldCoverEveryStateKafkaStreamsHas(State state) {
    // A state added by a Kafka upgrade must be placed on purpose: ready implies live.
    assertThat(!HealthProbe.READY.isUp(state) || HealthProbe.LIVE.isUp(state)).isTrue();
    assertThat(state.name())
        .isIn(
            "CREATED",
            "REBALANCING",
            "RUNNING",
            "PENDING_SHUTDOWN",
            "NOT_RUNNING",
            "PENDING_ERROR",
            "ERROR");
  }

  @Test
  void shouldCountAnInstanceStillCheckingTheClusterAsAliveButNotReady() {
    assertThat(HealthProbe.LIVE.isUp(null)).isTrue();
    assertThat(HealthProbe.READY.isUp(null)).isFalse();
    assertThat(HealthProbe.READY.body(null))
        .isEqualTo("{\"status\":\"DOWN\",\"state\":\"STARTING\"}");
  }

  @Test
  void shouldNameStatusAndStateInTheBody() {
    assertThat(HealthProbe.READY.body(State.RUNNING))
        .isEqualTo("{\"status\":\"UP\",\"state\":\"RUNNING\"}");
    assertThat(HealthProbe.READY.body(State.REBALANCING))
        .isEqualTo("{\"status\":\"DOWN\",\"state\":\"REBALANCING\"}");
    assertThat(HealthProbe.LIVE.body(State.REBALANCING))
        .isEqualTo("{\"status\":\"UP\",\"state\":\"REBALANCING\"}");
  }

  @Test
  void shouldServeExactlyTwoPaths() {
    assertThat(HealthProbe.forPath("/health/live")).isEqualTo(HealthProbe.LIVE);
    assertThat(HealthProbe.forPath("/health/ready")).isEqualTo(HealthProbe.READY);
    assertThat(HealthProbe.forPath("/health/ready/")).isNull();
    assertThat(HealthProbe.forPath("/health")).isNull();
  }
}
