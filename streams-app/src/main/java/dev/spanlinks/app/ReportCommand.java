package dev.spanlinks.app;

import dev.spanlinks.app.report.LinkMapReport;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code report}: the link map of a spans file, as one self-contained HTML page. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Write the link map: every batch on a timeline with the orders it linked, the way back from"
          + " an order to its batch, as one HTML page that needs no network.",
      "Reads OTLP JSON lines: the demo's spans file, or the OpenTelemetry Collector's file"
          + " exporter output."
    })
final class ReportCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--spans", required = true, description = "OTLP JSON lines file of spans.")
  Path spans;

  @Option(names = "--out", description = "Directory for the page (default: beside --spans).")
  Path out;

  @Option(
      names = "--trace-url",
      description =
          "Link every trace id into your backend, e.g. http://localhost:16686/trace/{traceId}")
  String traceUrl;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(spans)) {
      throw new StartupException("Spans file not found: " + spans);
    }
    if (traceUrl != null && !traceUrl.contains("{traceId}")) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--trace-url must contain {traceId}");
    }
    Path dir = out != null ? out : spans.toAbsolutePath().getParent();
    try {
      Path page = LinkMapReport.write(spans, dir, traceUrl);
      spec.commandLine().getOut().println("link map: " + page.toAbsolutePath());
      return 0;
    } catch (NoSuchFileException e) {
      throw new StartupException("Cannot read " + e.getFile());
    }
  }
}
