package dev.spanlinks.benchmarks;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where each variant's threads spent their CPU, from the execution samples of a JFR recording of a
 * benchmark run:
 *
 * <pre>
 * java -XX:StartFlightRecording=filename=run.jfr,settings=profile \
 *     -jar benchmarks/target/benchmarks.jar --runs 1 --keys 100000 sweep
 * java -cp benchmarks/target/benchmarks.jar dev.spanlinks.benchmarks.ProfileBreakdown run.jfr
 * </pre>
 *
 * <p>A sample belongs to a variant when its thread's name starts with the variant's application id
 * prefix (its stream threads, and its clients' network threads, which Kafka names after the client
 * id); the span exporter's threads are spanlinks' own. Each sample is put in the first {@link Part}
 * whose frames appear anywhere in its stack, in the order the parts are declared: a JSON parse
 * inside the source node counts as parsing, a span started during the close as span work. Execution
 * samples see only running threads: time a thread waited (for the exporter, the broker, a lock) is
 * not in them. Shares, not seconds: JFR samples a few threads every 10-20 ms.
 */
public final class ProfileBreakdown {

  /** What a sample was doing, tested in this order. */
  enum Part {
    SPANS(
        "spans: build, link, end, export hand-over",
        frame ->
            frame.startsWith("io.opentelemetry.")
                || frame.startsWith("dev.spanlinks.streams.trace.")),
    PARSE(
        "read an input record (deserialize)",
        frame ->
            frame.startsWith("org.apache.kafka.streams.processor.internals.SourceNode.deserialize")
                || frame.startsWith(
                    "org.apache.kafka.streams.processor.internals.RecordDeserializer.")),
    OUTPUT(
        "write an output record (serialize, send)",
        frame -> frame.startsWith("org.apache.kafka.streams.processor.internals.SinkNode.process")),
    STORE_WRITES(
        "state store writes (cache, store, changelog)",
        frame ->
            frame.startsWith("org.apache.kafka.streams.state.internals.Metered")
                && (frame.endsWith(".put")
                    || frame.endsWith(".delete")
                    || frame.endsWith(".putAll"))),
    STORE_READS(
        "state store reads",
        frame -> frame.startsWith("org.apache.kafka.streams.state.internals.Metered")),
    COMMIT(
        "commit (flush, transaction)",
        frame ->
            frame.startsWith("org.apache.kafka.streams.processor.internals.TaskManager.commit")
                || frame.startsWith(
                    "org.apache.kafka.streams.processor.internals.StreamThread.maybeCommit")),
    POLL(
        "poll",
        frame ->
            frame.startsWith("org.apache.kafka.streams.processor.internals.StreamThread.poll")),
    TOPOLOGY(
        "the topology's own processors, other",
        frame ->
            frame.startsWith("dev.spanlinks.")
                || frame.startsWith("org.apache.kafka.streams.kstream.")),
    OTHER("other: Kafka clients and Streams, the JDK", frame -> true);

    final String label;
    final Predicate<String> matches;

    Part(String label, Predicate<String> matches) {
      this.label = label;
      this.matches = matches;
    }

    /** The part a stack of frames ({@code class.method}, innermost first) belongs to. */
    static Part of(List<String> frames) {
      for (Part part : values()) {
        for (String frame : frames) {
          if (part.matches.test(frame)) {
            return part;
          }
        }
      }
      return OTHER;
    }
  }

  /** Thread name prefixes of the variants the benchmarks run, and the exporter's threads. */
  static String groupOf(String threadName) {
    if (threadName == null) {
      return null;
    }
    for (String variant : List.of("bench-ours", "bench-count", "bench-pass")) {
      if (threadName.startsWith(variant)) {
        return variant
            + (threadName.contains("StreamThread-") && !threadName.contains("producer")
                ? " stream threads"
                : " other threads");
      }
      if (threadName.startsWith("kafka-producer-network-thread | " + variant)) {
        return variant + " other threads";
      }
    }
    if (threadName.startsWith("BatchSpanProcessor_WorkerThread")
        || threadName.startsWith("jdkhttp-")
        || threadName.startsWith("HttpClient-")) {
      return "span export threads (spanlinks)";
    }
    return null;
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("Usage: ProfileBreakdown recording.jfr");
      System.exit(2);
    }
    print(read(Path.of(args[0])), System.out);
  }

  /** Samples per thread group and part. */
  static Map<String, Map<Part, Integer>> read(Path recording) throws IOException {
    Map<String, Map<Part, Integer>> samples = new TreeMap<>();
    try (RecordingFile file = new RecordingFile(recording)) {
      while (file.hasMoreEvents()) {
        RecordedEvent event = file.readEvent();
        if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
          continue;
        }
        String group = groupOf(event.getThread("sampledThread").getJavaName());
        RecordedStackTrace stack = event.getStackTrace();
        if (group == null || stack == null) {
          continue;
        }
        List<String> frames = new ArrayList<>();
        for (RecordedFrame frame : stack.getFrames()) {
          frames.add(frame.getMethod().getType().getName() + "." + frame.getMethod().getName());
        }
        samples
            .computeIfAbsent(group, g -> new EnumMap<>(Part.class))
            .merge(Part.of(frames), 1, Integer::sum);
      }
    }
    return samples;
  }

  static void print(Map<String, Map<Part, Integer>> samples, PrintStream out) {
    out.println("| threads | part | samples | share of the threads' samples |");
    out.println("|---|---|---:|---:|");
    samples.forEach(
        (group, parts) -> {
          int total = parts.values().stream().mapToInt(Integer::intValue).sum();
          parts.forEach(
              (part, count) ->
                  out.printf(
                      Locale.ROOT,
                      "| %s | %s | %,d | %.0f%% |%n",
                      group,
                      part.label,
                      count,
                      100.0 * count / total));
          out.printf(Locale.ROOT, "| %s | all | %,d | 100%% |%n", group, total);
        });
  }
}
