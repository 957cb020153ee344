package dev.spanlinks.app.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes the link map page for a spans file: the entry point of {@code report} and the demo. */
public final class LinkMapReport {
  public static final String FILE_NAME = "spanlinks-link-map.html";

  private LinkMapReport() {}

  /**
   * @param spans OTLP JSON lines
   * @param outDir where the page goes; created when missing
   * @param traceUrl a URL template with {@code {traceId}}, or null
   * @return the page written
   */
  public static Path write(Path spans, Path outDir, String traceUrl) throws IOException {
    LinkMap map = LinkMap.of(SpanFile.read(spans));
    Files.createDirectories(outDir);
    Path page = outDir.resolve(FILE_NAME);
    Files.writeString(page, LinkMapPage.render(map, traceUrl), StandardCharsets.UTF_8);
    return page;
  }
}
