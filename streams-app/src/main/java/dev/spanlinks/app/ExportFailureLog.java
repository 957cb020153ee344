package dev.spanlinks.app;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Filter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the OpenTelemetry SDK's repeated export-failure warnings into one line. The SDK logs
 * through {@code java.util.logging}, a warning per failed export from each periodic exporter:
 * without a collector on the default endpoint, {@code run} and {@code produce} printed {@code
 * Exporter failed} again and again, which a newcomer reads as the tool failing. The first such
 * warning becomes one line naming the endpoint, what is lost, and how to set or silence it; the
 * rest are dropped from the console (the SDK still counts failed exports in its own metrics).
 */
public final class ExportFailureLog {
  private static final Logger log = LoggerFactory.getLogger(ExportFailureLog.class);

  private ExportFailureLog() {}

  /** Installs the filter on the console handlers of {@code java.util.logging}'s root logger. */
  public static void install() {
    AtomicBoolean said = new AtomicBoolean();
    for (Handler handler : java.util.logging.Logger.getLogger("").getHandlers()) {
      Filter previous = handler.getFilter();
      handler.setFilter(
          record -> {
            if (isExportFailure(record)) {
              if (said.compareAndSet(false, true)) {
                log.warn(
                    "Cannot send telemetry to the OTLP endpoint {}: spans and metrics are being"
                        + " dropped (said once). Set OTEL_EXPORTER_OTLP_ENDPOINT to your collector,"
                        + " or OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none"
                        + " OTEL_LOGS_EXPORTER=none to send nothing.",
                    endpoint());
              }
              return false;
            }
            return previous == null || previous.isLoggable(record);
          });
    }
  }

  static boolean isExportFailure(LogRecord record) {
    String logger = record.getLoggerName();
    String message = record.getMessage();
    if (logger == null || message == null || !logger.startsWith("io.opentelemetry")) {
      return false;
    }
    String text = message.toLowerCase(Locale.ROOT);
    return text.contains("export") && text.contains("fail");
  }

  /** The endpoint the OTLP exporters use, as OpenTelemetry's own settings resolve it. */
  static String endpoint() {
    String configured = setting("otel.exporter.otlp.traces.endpoint");
    if (configured == null) {
      configured = setting("otel.exporter.otlp.endpoint");
    }
    if (configured != null) {
      return configured;
    }
    String protocol = setting("otel.exporter.otlp.protocol");
    return "grpc".equals(protocol) ? "http://localhost:4317" : "http://localhost:4318";
  }

  private static String setting(String property) {
    String value = System.getProperty(property);
    if (value == null) {
      value = System.getenv(property.toUpperCase(Locale.ROOT).replace('.', '_'));
    }
    return value == null || value.isBlank() ? null : value.trim();
  }
}
