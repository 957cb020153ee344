package dev.spanlinks.app;

import dev.spanlinks.app.orders.OrderBatch;
import dev.spanlinks.app.orders.OrderSerdes;
import dev.spanlinks.app.replay.MalformedLineException;
import dev.spanlinks.app.replay.OfflineReplay;
import dev.spanlinks.app.replay.RecordFile;
import dev.spanlinks.app.replay.RecordLine;
import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.SpanlinksTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code replay}: a JSON Lines file through the topology offline, no broker needed. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Run the records of a JSON Lines file (as export writes it) through the topology offline,"
          + " in Kafka's TopologyTestDriver, and print one line per batch. Same batches, batch"
          + " ids and links as a live run with the same settings (same application.id or"
          + " spanlinks.batch.ids.namespace).",
      "Each partition of the file is replayed as its own task, as live. At the end of the file,"
          + " wall-clock time moves on as on a quiet topic, so the idle close closes every window.",
      "Spans go where OTEL_* says, as for run, or with --spans to an OTLP JSON lines file (what"
          + " the report command reads)."
    })
final class ReplayCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"--file", "-f"},
      required = true,
      description = "JSON Lines file of orders to replay.")
  Path file;

  @Option(
      names = "--config",
      description = "The run command's properties file: application.id and spanlinks.* keys.")
  Path configFile;

  @Option(
      names = "--application-id",
      description = "application.id (default: spanlinks, or the config file's).")
  String applicationId;

  @Option(
      names = "--spans",
      description = "Write spans to this OTLP JSON lines file instead of OTEL_* exporters.")
  Path spansFile;

  @Option(
      names = "--batches",
      description = "Also write the batch records to this JSON Lines file.")
  Path batchesFile;

  @Option(names = "--links", description = "Print every link under its batch.")
  boolean printLinks;

  @Option(names = "--quiet", description = "No progress bar; the summary line only.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    BatchConfig config = new BatchConfig(settings());
    if (!Files.isRegularFile(file)) {
      throw new StartupException("File not found: " + file);
    }
    PrintWriter out = spec.commandLine().getOut();
    LinkCollector links = printLinks ? new LinkCollector() : null;
    OtlpJsonFileSpanExporter spanFile =
        spansFile == null ? null : new OtlpJsonFileSpanExporter(spansFile);
    long droppedBefore = SpanlinksTelemetry.droppedSpans();
    OpenTelemetrySdk openTelemetry =
        SpanlinksTelemetry.autoConfigure(
            config.linksPerSpan(),
            builder -> {
              if (spanFile != null) {
                builder.addPropertiesCustomizer(
                    properties ->
                        Map.of(
                            "otel.traces.exporter", "none",
                            "otel.metrics.exporter", "none",
                            "otel.logs.exporter", "none"));
              }
              return builder.addTracerProviderCustomizer(
                  (provider, properties) -> {
                    if (spanFile != null) {
                      provider.addSpanProcessor(BatchSpanProcessor.builder(spanFile).build());
                    }
                    if (links != null) {
                      provider.addSpanProcessor(links);
                    }
                    return provider;
                  });
            });
    ProgressBar progress = ProgressBar.forTerminal(spec.commandLine().getErr(), "replay", quiet);
    Path stateRoot = Files.createTempDirectory("spanlinks-replay");
    OfflineReplay.Result result;
    try (RecordFile.Writer batches = batchesFile == null ? null : RecordFile.create(batchesFile)) {
      result =
          OfflineReplay.run(
              config,
              openTelemetry,
              file,
              Instant.now(),
              stateRoot,
              progress,
              batch -> {
                printBatch(out, batch, links);
                if (batches != null) {
                  try {
                    batches.write(batch);
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                }
              });
    } catch (MalformedLineException e) {
      throw new StartupException(e.getMessage(), e);
    } finally {
      openTelemetry.shutdown().join(30, TimeUnit.SECONDS);
      if (spanFile != null) {
        spanFile.closeFile();
      }
      deleteRecursively(stateRoot);
    }
    out.flush();
    long undelivered = SpanlinksTelemetry.droppedSpans() - droppedBefore;
    progress.finish(
        String.format(
            Locale.ROOT,
            "replayed %,d records (%d partitions): %,d batches, %,d late, %,d dead-lettered, in"
                + " %.1f s (%,.0f records/s)%s%s",
            result.records(),
            result.partitions(),
            result.batches(),
            result.lateOrders(),
            result.deadLetters(),
            progress.elapsed().toMillis() / 1000.0,
            progress.rate(),
            spansFile == null ? "" : "; spans in " + spansFile,
            undelivered == 0
                ? ""
                : String.format(
                    Locale.ROOT,
                    "; %,d spans not delivered (the span exporter failed: see the warning above)",
                    undelivered)));
    return 0;
  }

  private static void printBatch(PrintWriter out, RecordLine record, LinkCollector links) {
    OrderBatch batch = OrderSerdes.orderBatchDeserializer().deserialize(null, record.value());
    out.printf(
        Locale.ROOT,
        "batch %s %s..%s orders=%d linked=%d unlinked=%d duplicates=%d chunks=%d trace=%s"
            + " span=%s%n",
        batch.batchKey(),
        batch.windowStart(),
        batch.windowEnd(),
        batch.orderCount(),
        batch.linkedCount(),
        batch.unlinkedCount(),
        batch.duplicateCount(),
        batch.linkChunkCount(),
        batch.traceId(),
        batch.spanId());
    if (links != null) {
      for (String link : links.take(batch.traceId())) {
        out.println("  link " + link);
      }
    }
  }

  private Map<String, Object> settings() throws IOException {
    Map<String, Object> settings = new HashMap<>();
    settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "spanlinks");
    if (configFile != null) {
      settings.putAll(KafkaClientOptions.loadProperties(configFile));
    }
    if (applicationId != null) {
      settings.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    }
    return settings;
  }

  private static void deleteRecursively(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
