package dev.spanlinks.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/** One timed pass of a topology over the input in {@link TopologyTestDriver}. */
final class TtdRun {
  /**
   * @param nanos wall time to process every input record, closes included
   * @param outputs records written to the output topic
   * @param largestChangelogBytes largest value written to the state's changelog
   * @param changelogBytes all bytes written to the state's changelog
   */
  record Result(long nanos, long outputs, long largestChangelogBytes, long changelogBytes) {
    double microsPerOrder(int orders) {
      return nanos / 1000.0 / orders;
    }

    double ordersPerSecond(int orders) {
      return orders / (nanos / 1e9);
    }
  }

  private TtdRun() {}

  static Result run(
      Topology topology,
      Properties props,
      List<TestRecord<String, byte[]>> input,
      String outputTopic,
      String changelogTopic) {
    Path stateDir;
    try {
      stateDir = Files.createTempDirectory("spanlinks-bench-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    props.put("state.dir", stateDir.toString());
    try (TopologyTestDriver driver = new TopologyTestDriver(topology, props)) {
      TestInputTopic<String, byte[]> orders =
          driver.createInputTopic(
              Variants.ORDERS, new StringSerializer(), new ByteArraySerializer());
      // The driver keeps every record a topology writes until it is read: read as we go, so a
      // quadratic design's huge changelog records do not fill the heap. Reading is timed out.
      long[] outputs = new long[3];
      long[] changelog = new long[3];
      long nanos = 0;
      int next = 0;
      while (next < input.size()) {
        int end = Math.min(input.size(), next + 100);
        long start = System.nanoTime();
        for (TestRecord<String, byte[]> record : input.subList(next, end)) {
          orders.pipeInput(record);
        }
        nanos += System.nanoTime() - start;
        next = end;
        add(outputs, drain(driver, outputTopic));
        add(changelog, drain(driver, changelogTopic));
      }
      return new Result(nanos, outputs[0], changelog[1], changelog[2]);
    } finally {
      delete(stateDir);
    }
  }

  private static void add(long[] sum, long[] part) {
    sum[0] += part[0];
    sum[1] = Math.max(sum[1], part[1]);
    sum[2] += part[2];
  }

  /** Record count, largest value and total value bytes of a topic's output, consumed. */
  private static long[] drain(TopologyTestDriver driver, String topic) {
    if (!driver.producedTopicNames().contains(topic)) {
      return new long[] {0, 0, 0};
    }
    TestOutputTopic<byte[], byte[]> out =
        driver.createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    long count = 0;
    long largest = 0;
    long total = 0;
    while (!out.isEmpty()) {
      byte[] value = out.readRecord().value();
      int size = value == null ? 0 : value.length;
      count++;
      largest = Math.max(largest, size);
      total += size;
    }
    return new long[] {count, largest, total};
  }

  private static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
