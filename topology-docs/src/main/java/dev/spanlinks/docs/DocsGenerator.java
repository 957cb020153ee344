package dev.spanlinks.docs;

import dev.spanlinks.app.orders.OrdersTopology;
import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.trace.MessagingConventions;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Generates TOPOLOGY.md, CONFIGURATION.md and TELEMETRY.md from the code. The drift test compares
 * them with the committed files; {@code main} (or the test with {@code
 * -Dspanlinks.docs.write=true}) rewrites them.
 */
public final class DocsGenerator {
  private DocsGenerator() {}

  /** File name to content, in a fixed order. */
  public static Map<String, String> generate() throws IOException {
    BatchConfig config = new BatchConfig(Map.of("application.id", "spanlinks"));
    Map<String, String> docs = new LinkedHashMap<>();
    docs.put(
        "TOPOLOGY.md",
        TopologyDoc.render(OrdersTopology.build(config, OpenTelemetry.noop()).describe(), config));
    docs.put("CONFIGURATION.md", ConfigurationDoc.render(BatchConfig.configDef()));
    docs.put("TELEMETRY.md", TelemetryDoc.render(sampleRuns()) + LinkSizes.render());
    return docs;
  }

  /** The sample run under each choice of messaging names, the default first. */
  private static Map<MessagingConventions, SampleRun> sampleRuns() throws IOException {
    Map<MessagingConventions, SampleRun> runs = new EnumMap<>(MessagingConventions.class);
    for (MessagingConventions conventions : MessagingConventions.values()) {
      runs.put(
          conventions,
          SampleRun.run(
              Map.of(
                  BatchConfig.REVERSE_LINKS_CONFIG,
                  true,
                  // Every link attribute, so that each is documented; the default carries
                  // fewer (see the table of bytes per link).
                  BatchConfig.LINK_ATTRIBUTES_CONFIG,
                  "all"),
              conventions));
    }
    return runs;
  }

  /** Writes the docs into the directory given (default: the working directory). */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : ".");
    for (Map.Entry<String, String> doc : generate().entrySet()) {
      Files.writeString(dir.resolve(doc.getKey()), doc.getValue());
    }
  }
}
