package dev.spanlinks.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;

/**
 * What a run cost the application under test, as opposed to the broker and the harness that share
 * its JVM: the CPU time and the bytes allocated by the threads it started (stream threads, their
 * clients' network threads, the span exporter's), and the bytes its changelog topics hold on the
 * broker afterwards. Threads that already ran before the application started (the broker's, the
 * OTLP receiver's, the harness's own consumer) are left out; so is a thread of the application that
 * ended before the run did (none does while Kafka Streams runs).
 */
final class AppCosts {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /**
   * @param cpuNanos CPU time of the application's threads
   * @param allocatedBytes bytes they allocated on the heap
   */
  record Threads(long cpuNanos, long allocatedBytes) {}

  private final Set<Long> before;

  private AppCosts(Set<Long> before) {
    this.before = before;
  }

  /** Notes the threads running now: none of them is the application's. */
  static AppCosts beforeStart() {
    Set<Long> ids = new HashSet<>();
    for (long id : THREADS.getAllThreadIds()) {
      ids.add(id);
    }
    return new AppCosts(ids);
  }

  /** The cost so far of every thread started since {@link #beforeStart()}. */
  Threads threadsSinceStart() {
    long cpu = 0;
    long allocated = 0;
    for (long id : THREADS.getAllThreadIds()) {
      if (!before.contains(id)) {
        cpu += Math.max(0, THREADS.getThreadCpuTime(id));
        allocated += Math.max(0, THREADS.getThreadAllocatedBytes(id));
      }
    }
    return new Threads(cpu, allocated);
  }

  /** Bytes held on the broker by the changelog topics of {@code applicationId}, all replicas. */
  static long changelogBytes(Admin admin, String applicationId) throws Exception {
    Set<Integer> brokers =
        admin.describeCluster().nodes().get().stream()
            .map(node -> node.id())
            .collect(Collectors.toSet());
    long bytes = 0;
    for (Map<String, LogDirDescription> dirs :
        admin.describeLogDirs(brokers).allDescriptions().get().values()) {
      for (LogDirDescription dir : dirs.values()) {
        for (Map.Entry<org.apache.kafka.common.TopicPartition, ReplicaInfo> replica :
            dir.replicaInfos().entrySet()) {
          String topic = replica.getKey().topic();
          if (topic.startsWith(applicationId + "-") && topic.endsWith("-changelog")) {
            bytes += replica.getValue().size();
          }
        }
      }
    }
    return bytes;
  }
}
