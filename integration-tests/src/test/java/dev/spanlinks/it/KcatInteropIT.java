package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.spanlinks.app.StreamsRunner;
import dev.spanlinks.app.TopicSettings;
import dev.spanlinks.it.KafkaClusterExtension.KafkaCluster;
import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.SpanlinksTelemetry;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * An independent client: orders produced by {@code kcat} (librdkafka, not the Java client) with a
 * hand-written {@code traceparent} header are linked like any other.
 */
@ExtendWith(KafkaClusterExtension.class)
class KcatInteropIT {

  @Test
  @SuppressWarnings("try") // the runner only has to run while kcat produces
  void shouldLinkOrdersProducedByKcat(KafkaCluster kafka, @TempDir Path dir) throws Exception {
    // CI installs kcat (.ci/run); elsewhere the test says why it did not run.
    assumeTrue(
        kcatInstalled() || "true".equals(System.getenv("CI")),
        "kcat is not installed (apt-get install kcat)");
    String id = "kcat-" + UUID.randomUUID().toString().substring(0, 6);
    BatchConfig config =
        new BatchConfig(
            Map.of(
                "bootstrap.servers",
                kafka.bootstrapServers(),
                "application.id",
                id,
                "state.dir",
                dir.resolve("state").toString(),
                "commit.interval.ms",
                "200",
                BatchConfig.ORDERS_TOPIC_CONFIG,
                "orders-" + id,
                BatchConfig.BATCHES_TOPIC_CONFIG,
                "batches-" + id,
                BatchConfig.LATE_TOPIC_CONFIG,
                "late-" + id,
                "errors.dead.letter.queue.topic.name",
                "dlq-" + id,
                BatchConfig.IDLE_CLOSE_MS_CONFIG,
                "1000",
                BatchConfig.CLOSE_CHECK_INTERVAL_MS_CONFIG,
                "200"));
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    OpenTelemetrySdk openTelemetry =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SpanlinksTelemetry.withBatchSupport(
                        SdkTracerProvider.builder(), config.linksPerSpan())
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();

    try (StreamsRunner runner =
        StreamsRunner.start(
            config,
            openTelemetry,
            new TopicSettings(true, 1, (short) -1),
            Duration.ofSeconds(30))) {
      Instant createdAt = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
      List<String> traceparents = List.of(traceparent(1), traceparent(2), traceparent(3));
      for (int n = 0; n < traceparents.size(); n++) {
        kcat(
            kafka.bootstrapServers(),
            config.ordersTopic(),
            traceparents.get(n),
            "{\"orderId\":\"kcat-"
                + n
                + "\",\"amount\":2.50,\"currency\":\"EUR\",\"createdAt\":\""
                + createdAt.plusSeconds(n)
                + "\"}",
            dir);
      }

      await("batch span").atMost(Duration.ofSeconds(60)).until(() -> !batchSpans(spans).isEmpty());
      SpanData batch = batchSpans(spans).get(0);
      assertThat(batch.getLinks())
          .extracting(
              l ->
                  "00-"
                      + l.getSpanContext().getTraceId()
                      + "-"
                      + l.getSpanContext().getSpanId()
                      + "-01")
          .containsExactlyInAnyOrderElementsOf(traceparents);
    }
  }

  private static List<SpanData> batchSpans(InMemorySpanExporter spans) {
    return spans.getFinishedSpanItems().stream()
        .filter(s -> s.getName().equals(SpanlinksAttributes.BATCH_SPAN_NAME))
        .toList();
  }

  private static String traceparent(int n) {
    return String.format(Locale.ROOT, "00-%032x-%016x-01", 0xabc000L + n, 0xdef000L + n);
  }

  private static void kcat(
      String bootstrap, String topic, String traceparent, String value, Path dir) throws Exception {
    Path input = Files.writeString(dir.resolve("order.json"), value + "\n", StandardCharsets.UTF_8);
    Process kcat =
        new ProcessBuilder(
                "kcat",
                "-b",
                bootstrap,
                "-t",
                topic,
                "-P",
                "-k",
                "eu",
                "-H",
                "traceparent=" + traceparent)
            .redirectInput(input.toFile())
            .redirectErrorStream(true)
            .start();
    assertThat(kcat.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(kcat.exitValue())
        .as(new String(kcat.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .isZero();
  }

  private static boolean kcatInstalled() {
    try {
      return new ProcessBuilder("kcat", "-V").start().waitFor(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      return false;
    }
  }
}
