package dev.spanlinks.app;

import dev.spanlinks.app.replay.MalformedLineException;
import dev.spanlinks.app.replay.ReplayException;
import dev.spanlinks.app.replay.TopicImport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code import}: a JSON Lines file to a topic. */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description = {
      "Write the records of a JSON Lines file (as export writes it) to a topic: keys, values,"
          + " headers and timestamps as in the file. The file is checked whole before the first"
          + " record is sent.",
      "Partitions: each record goes to the partition it came from when the topic has enough"
          + " partitions for every one in the file; otherwise (or for lines without a"
          + " partition) the producer's partitioner places it by key. A missing topic is created"
          + " with as many partitions as the file uses."
    })
final class ImportCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin KafkaClientOptions cluster;

  @Option(names = "--topic", required = true, description = "Topic to write to.")
  String topic;

  @Option(
      names = {"--file", "-f"},
      required = true,
      description = "JSON Lines file to read.")
  Path file;

  @Option(
      names = "--shift-to",
      description =
          "'now' or an ISO-8601 instant: move all times so the earliest event time lands there,"
              + " keeping the gaps. Moves what the topology windows on: each record timestamp and"
              + " the createdAt of each JSON order value (event time is createdAt, else the"
              + " record timestamp).")
  String shiftTo;

  @Option(
      names = "--create-topic",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Create the topic when missing (default: ${DEFAULT-VALUE}).")
  boolean createTopic;

  @Option(
      names = "--timeout",
      defaultValue = "PT60S",
      description = "How long to wait for the cluster, ISO-8601 (default: 60 s).")
  Duration timeout;

  @Option(names = "--quiet", description = "No progress bar; the summary line only.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    Instant target = shiftTarget();
    if (!Files.isRegularFile(file)) {
      throw new StartupException("File not found: " + file);
    }
    ProgressBar progress = ProgressBar.forTerminal(spec.commandLine().getErr(), "import", quiet);
    TopicImport.Result result;
    try {
      result =
          TopicImport.run(cluster.settings(), topic, file, target, createTopic, progress, timeout);
    } catch (MalformedLineException | ReplayException e) {
      throw new StartupException(e.getMessage(), e);
    }
    progress.finish(
        String.format(
            Locale.ROOT,
            "imported %,d records to %s (%s, %d partitions)%s in %.1f s (%,.0f records/s)",
            result.records(),
            topic,
            result.partitioning() == TopicImport.Partitioning.KEPT
                ? "partitions kept"
                : "partitioned by key",
            result.topicPartitions(),
            result.shiftMs() == 0
                ? ""
                : ", times shifted by " + Duration.ofMillis(result.shiftMs()),
            progress.elapsed().toMillis() / 1000.0,
            progress.rate()));
    return 0;
  }

  private Instant shiftTarget() {
    if (shiftTo == null) {
      return null;
    }
    if (shiftTo.equalsIgnoreCase("now")) {
      return Instant.now();
    }
    try {
      return Instant.parse(shiftTo);
    } catch (DateTimeParseException e) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(),
          "--shift-to must be 'now' or an ISO-8601 instant such as 2026-03-01T00:00:00Z");
    }
  }
}
