package dev.spanlinks.demo;

import dev.spanlinks.app.OtlpJsonFileSpanExporter;
import dev.spanlinks.streams.SpanlinksTelemetry;
import dev.spanlinks.streams.trace.ValidContextsSpanProcessor;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.util.Map;

/**
 * The demo's two OpenTelemetry SDKs, one per simulated service: {@code order-api} (the producer)
 * and {@code spanlinks-streams}. Both follow the {@code OTEL_*} variables; when no OTLP endpoint is
 * configured, both write to one OTLP JSON lines file instead.
 */
final class DemoTelemetry {
  private DemoTelemetry() {}

  /** True when the user pointed OpenTelemetry at an OTLP endpoint. */
  static boolean otlpEndpointConfigured() {
    return System.getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != null
        || System.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != null
        || System.getProperty("otel.exporter.otlp.endpoint") != null
        || System.getProperty("otel.exporter.otlp.traces.endpoint") != null;
  }

  /**
   * @param file where spans go instead of OTLP, or null for the OTEL_* configuration alone
   */
  static OpenTelemetrySdk producer(OtlpJsonFileSpanExporter file) {
    AutoConfiguredOpenTelemetrySdkBuilder builder =
        AutoConfiguredOpenTelemetrySdk.builder()
            .addPropertiesSupplier(() -> Map.of("otel.service.name", "order-api"))
            .disableShutdownHook();
    return toFile(builder, file, null).build().getOpenTelemetrySdk();
  }

  /**
   * @param file where spans go instead of OTLP, or null for the OTEL_* configuration alone
   * @param tally sees every span the streams application ends
   */
  static OpenTelemetrySdk streams(
      int linksPerSpan, OtlpJsonFileSpanExporter file, LinkTally tally) {
    return SpanlinksTelemetry.autoConfigure(linksPerSpan, builder -> toFile(builder, file, tally));
  }

  private static AutoConfiguredOpenTelemetrySdkBuilder toFile(
      AutoConfiguredOpenTelemetrySdkBuilder builder,
      OtlpJsonFileSpanExporter file,
      SpanProcessor extra) {
    if (file != null) {
      builder.addPropertiesSupplier(
          () ->
              Map.of(
                  "otel.traces.exporter", "none",
                  "otel.metrics.exporter", "none",
                  "otel.logs.exporter", "none"));
    }
    return builder.addTracerProviderCustomizer(
        (provider, config) -> {
          // Contexts stay valid, and propagate, even with OTEL_TRACES_EXPORTER=none.
          provider.addSpanProcessor(ValidContextsSpanProcessor.INSTANCE);
          if (file != null) {
            provider.addSpanProcessor(BatchSpanProcessor.builder(file).build());
          }
          if (extra != null) {
            provider.addSpanProcessor(extra);
          }
          return provider;
        });
  }
}
