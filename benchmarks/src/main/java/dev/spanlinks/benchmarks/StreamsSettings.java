package dev.spanlinks.benchmarks;

import java.util.Properties;

/**
 * The Kafka Streams settings every variant of a run gets, whatever its own defaults: spanlinks'
 * configuration sets a 1,000 ms commit interval, a plain exactly-once application gets 100 ms.
 * Printed with every table, so a ratio never compares two settings.
 *
 * @param commitIntervalMs {@code commit.interval.ms}
 * @param cacheMaxBytes {@code statestore.cache.max.bytes}
 * @param threads {@code num.stream.threads}
 * @param instances application instances (same {@code application.id}, own state directories)
 */
record StreamsSettings(long commitIntervalMs, long cacheMaxBytes, int threads, int instances) {
  static final String GUARANTEE = "exactly_once_v2";

  /** Kafka Streams' own record cache size and one stream thread, at this commit interval. */
  static StreamsSettings withCommitInterval(long commitIntervalMs) {
    return new StreamsSettings(commitIntervalMs, 10L * 1024 * 1024, 1, 1);
  }

  StreamsSettings withThreadsAndInstances(int threadsEach, int instanceCount) {
    return new StreamsSettings(commitIntervalMs, cacheMaxBytes, threadsEach, instanceCount);
  }

  /**
   * The producers' transaction timeout of every variant: spanlinks' own default (its close runs in
   * one transaction), so that the baselines do not run with Kafka's 10 s where spanlinks has 5
   * minutes.
   */
  static final int TRANSACTION_TIMEOUT_MS = 300_000;

  void applyTo(Properties props) {
    props.put("processing.guarantee", GUARANTEE);
    props.put("producer.transaction.timeout.ms", TRANSACTION_TIMEOUT_MS);
    props.put("commit.interval.ms", commitIntervalMs);
    props.put("statestore.cache.max.bytes", cacheMaxBytes);
    props.put("num.stream.threads", threads);
  }

  String describe() {
    return "processing.guarantee="
        + GUARANTEE
        + ", producer.transaction.timeout.ms="
        + TRANSACTION_TIMEOUT_MS
        + ", commit.interval.ms="
        + commitIntervalMs
        + ", statestore.cache.max.bytes="
        + cacheMaxBytes
        + ", num.stream.threads="
        + threads
        + (instances == 1 ? "" : ", instances=" + instances);
  }
}
