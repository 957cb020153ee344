package dev.spanlinks.app;

import dev.spanlinks.app.replay.ReplayException;
import dev.spanlinks.app.replay.TopicExport;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code export}: a range of a topic to a JSON Lines file. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Copy records of a topic to a JSON Lines file, one record per line: key, value, headers,"
          + " timestamp, partition, offset. Bytes round-trip exactly: UTF-8 text as is, JSON"
          + " values embedded, anything else base64 (marked).",
      "Reads committed records only (isolation.level=read_committed) up to the end offsets seen"
          + " at start, so it ends on a live topic. Time bounds select on record timestamps."
    })
final class ExportCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin KafkaClientOptions cluster;

  @Option(names = "--topic", required = true, description = "Topic to export.")
  String topic;

  @Option(
      names = {"--out", "-o"},
      required = true,
      description = "JSON Lines file to write (replaced).")
  Path out;

  @Option(names = "--from", description = "First record timestamp to include, ISO-8601 instant.")
  Instant from;

  @Option(names = "--to", description = "Leave out records from this timestamp on, ISO-8601.")
  Instant to;

  @Option(names = "--from-offset", description = "First offset to include, in every partition.")
  Long fromOffset;

  @Option(names = "--to-offset", description = "Leave out offsets from here on (exclusive).")
  Long toOffset;

  @Option(
      names = "--partition",
      split = ",",
      description = "Partitions to export, e.g. 0,2 (default: all).")
  List<Integer> partitions = List.of();

  @Option(
      names = "--timeout",
      defaultValue = "PT60S",
      description = "Give up when no record arrives for this long, ISO-8601 (default: 60 s).")
  Duration timeout;

  @Option(names = "--quiet", description = "No progress bar; the summary line only.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    if (from != null && to != null && !from.isBefore(to)) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--from must be before --to");
    }
    ProgressBar progress = ProgressBar.forTerminal(spec.commandLine().getErr(), "export", quiet);
    TopicExport.Result result;
    try {
      result =
          TopicExport.run(
              cluster.settings(),
              topic,
              new TopicExport.Range(from, to, fromOffset, toOffset, partitions),
              out,
              progress,
              timeout);
    } catch (ReplayException e) {
      throw new StartupException(e.getMessage(), e);
    }
    progress.finish(
        String.format(
            Locale.ROOT,
            "exported %,d records from %s (%d partitions) to %s in %.1f s (%,.0f records/s)",
            result.records(),
            topic,
            result.partitions(),
            out,
            progress.elapsed().toMillis() / 1000.0,
            progress.rate()));
    return 0;
  }
}
