package dev.spanlinks.app;

import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes spans as OTLP JSON lines: one {@code ExportTraceServiceRequest} in the OTLP/JSON encoding
 * per line, the format of the OpenTelemetry Collector's file exporter, so any tool that reads one
 * reads the other. Used when no OTLP endpoint is configured.
 *
 * <p>Thread-safe: one instance may serve several SDKs (the demo's producer and streams app).
 *
 * <p>The encoding comes from the OTLP exporter's own marshaler (an internal class of a pinned
 * version), not from hand-written JSON, so the file cannot drift from the wire format.
 */
public final class OtlpJsonFileSpanExporter implements SpanExporter {
  private static final Logger log = LoggerFactory.getLogger(OtlpJsonFileSpanExporter.class);

  private final Path path;
  private final OutputStream out;

  public OtlpJsonFileSpanExporter(Path path) throws IOException {
    this.path = path;
    this.out =
        new BufferedOutputStream(
            Files.newOutputStream(
                path,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE));
  }

  public Path path() {
    return path;
  }

  @Override
  public synchronized CompletableResultCode export(Collection<SpanData> spans) {
    try {
      TraceRequestMarshaler.create(spans).writeJsonTo(out);
      out.write('\n');
      return CompletableResultCode.ofSuccess();
    } catch (IOException e) {
      log.error("Cannot write spans. path=[{}]", path, e);
      return CompletableResultCode.ofFailure();
    }
  }

  @Override
  public synchronized CompletableResultCode flush() {
    try {
      out.flush();
      return CompletableResultCode.ofSuccess();
    } catch (IOException e) {
      return CompletableResultCode.ofFailure();
    }
  }

  /** Only flushes: several SDKs of the demo share the file, which {@link #closeFile()} closes. */
  @Override
  public CompletableResultCode shutdown() {
    return flush();
  }

  public synchronized void closeFile() throws IOException {
    out.close();
  }
}
