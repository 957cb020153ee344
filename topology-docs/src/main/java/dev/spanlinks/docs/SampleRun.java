package dev.spanlinks.docs;

import dev.spanlinks.app.orders.OrdersTopology;
import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.SpanlinksTelemetry;
import dev.spanlinks.streams.trace.MessagingConventions;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Runs the real topology once on a small fixed input (linked, unlinked and late orders, one window
 * with more links than fit on one span) and keeps every span and metric it emitted, so the
 * telemetry doc describes what the code does, not what someone remembered to write down.
 */
record SampleRun(List<SpanData> spans, Collection<MetricData> metrics) {

  /** A run whose spans carry the messaging names {@code conventions} chooses. */
  static SampleRun run(Map<String, Object> settings, MessagingConventions conventions)
      throws IOException {
    Path stateDir = Files.createTempDirectory("spanlinks-docs-");
    Map<String, Object> props = new HashMap<>(settings);
    props.put("application.id", "spanlinks-docs");
    props.put("bootstrap.servers", "kafka-1.example:9092");
    props.put("client.id", "spanlinks-docs-1");
    props.put(BatchConfig.KAFKA_CLUSTER_ID_CONFIG, "Hk2-6oNkT-S2zE5fUHmLUA");
    props.put("state.dir", stateDir.toString());
    props.put("processing.guarantee", "at_least_once");
    props.put(BatchConfig.LINKS_PER_SPAN_CONFIG, 2);
    BatchConfig config = new BatchConfig(props);
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    InMemoryMetricReader metrics = InMemoryMetricReader.create();
    try (OpenTelemetrySdk sdk =
            OpenTelemetrySdk.builder()
                .setTracerProvider(
                    SpanlinksTelemetry.withBatchSupport(SdkTracerProvider.builder(), 2)
                        .addSpanProcessor(SimpleSpanProcessor.create(spans))
                        .build())
                .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
        TopologyTestDriver driver =
            new TopologyTestDriver(
                OrdersTopology.build(config, chosen(conventions, sdk)),
                config.streamsProperties())) {
      TestInputTopic<String, byte[]> orders =
          driver.createInputTopic(
              config.ordersTopic(), new StringSerializer(), new ByteArraySerializer());
      for (int n = 1; n <= 3; n++) {
        orders.pipeInput(order("o-" + n, "2026-01-15T10:1" + n + ":00Z", n));
      }
      orders.pipeInput(order("o-untraced", "2026-01-15T10:20:00Z", 0));
      orders.pipeInput(order("o-closer", "2026-01-15T11:10:00Z", 9));
      orders.pipeInput(order("o-late", "2026-01-15T10:30:00Z", 8));
      Collection<MetricData> collected = metrics.collectAllMetrics();
      return new SampleRun(List.copyOf(spans.getFinishedSpanItems()), List.copyOf(collected));
    } finally {
      try (var files = Files.walk(stateDir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static OpenTelemetrySdk chosen(MessagingConventions conventions, OpenTelemetrySdk sdk) {
    conventions.use(sdk);
    return sdk;
  }

  private static TestRecord<String, byte[]> order(String id, String createdAt, int trace) {
    RecordHeaders headers = new RecordHeaders();
    if (trace > 0) {
      headers.add(
          "traceparent",
          String.format("00-%032x-%016x-01", trace, trace).getBytes(StandardCharsets.UTF_8));
    }
    String json =
        "{\"orderId\":\""
            + id
            + "\",\"amount\":10.00,\"currency\":\"EUR\",\"createdAt\":\""
            + createdAt
            + "\"}";
    return new TestRecord<>(
        "eu", json.getBytes(StandardCharsets.UTF_8), headers, Instant.parse(createdAt));
  }
}
