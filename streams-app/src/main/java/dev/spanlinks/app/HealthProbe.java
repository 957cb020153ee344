package dev.spanlinks.app;

import java.util.EnumSet;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams.State;

/**
 * The two probes of {@code run --health-port} and how each reads a Kafka Streams state. A state of
 * {@code null} means Kafka Streams does not exist yet: {@code run} is still checking the cluster
 * and the topics, which counts as alive and not ready.
 */
enum HealthProbe {
  /**
   * Alive while Kafka Streams is starting, rebalancing (which includes restoring state, however
   * long) or running. Down once it failed ({@code PENDING_ERROR}, {@code ERROR}) or is stopping
   * ({@code PENDING_SHUTDOWN}, {@code NOT_RUNNING}, reached only through a close): restarting such
   * an instance is the right remedy, and one that restores is never restarted for being slow.
   */
  LIVE("/health/live", EnumSet.of(State.CREATED, State.REBALANCING, State.RUNNING), true),

  /**
   * Ready only in {@code RUNNING}: every assigned task restored and processing. A rebalance, a
   * restore and a shutdown all read as not ready, so an orchestrator waits for them before it
   * counts the instance as available (rolling updates, disruption budgets).
   */
  READY("/health/ready", EnumSet.of(State.RUNNING), false);

  /** What the JSON body names as the state before Kafka Streams exists. */
  static final String STARTING = "STARTING";

  private final String path;
  private final Set<State> upStates;
  private final boolean upWhileStarting;

  HealthProbe(String path, Set<State> upStates, boolean upWhileStarting) {
    this.path = path;
    this.upStates = upStates;
    this.upWhileStarting = upWhileStarting;
  }

  /** The HTTP path that serves this probe. */
  String path() {
    return path;
  }

  /** Whether the probe answers 200 in {@code state} ({@code null}: not created yet). */
  boolean isUp(State state) {
    return state == null ? upWhileStarting : upStates.contains(state);
  }

  /** The probe served at {@code path}, or {@code null} for any other path. */
  static HealthProbe forPath(String path) {
    for (HealthProbe probe : values()) {
      if (probe.path.equals(path)) {
        return probe;
      }
    }
    return null;
  }

  /** The short JSON body of an answer, e.g. {@code {"status":"UP","state":"RUNNING"}}. */
  String body(State state) {
    return "{\"status\":\""
        + (isUp(state) ? "UP" : "DOWN")
        + "\",\"state\":\""
        + (state == null ? STARTING : state.name())
        + "\"}";
  }
}
