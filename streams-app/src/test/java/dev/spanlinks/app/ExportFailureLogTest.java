package dev.spanlinks.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which of OpenTelemetry's own log lines become the one line about the missing collector. */
class ExportFailureLogTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "io.opentelemetry.sdk.trace.export.BatchSpanProcessor|Exporter failed|true",
        "io.opentelemetry.sdk.metrics.export.PeriodicMetricReader|Exporter failed|true",
        "io.opentelemetry.exporter.internal.http.HttpExporter|Failed to export spans. The request"
            + " could not be executed.|true",
        "io.opentelemetry.sdk.trace.export.BatchSpanProcessor|BatchSpanProcessor dropped 3"
            + " span(s)|false",
        "org.apache.kafka.clients.NetworkClient|Failed to export nothing|false"
      })
  void shouldRecogniseExportFailuresOfTheSdkOnly(String logger, String message, boolean failure) {
    LogRecord record = new LogRecord(Level.WARNING, message);
    record.setLoggerName(logger);
    assertThat(ExportFailureLog.isExportFailure(record)).isEqualTo(failure);
  }
}
