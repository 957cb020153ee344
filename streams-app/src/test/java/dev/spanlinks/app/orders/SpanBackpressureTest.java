package dev.spanlinks.app.orders;

import static dev.spanlinks.app.orders.TestOrder.traced;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.trace.SpanExportTimeoutException;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK's batch span processor holds 2,048 ended spans and drops the rest. A close of thousands
 * of batches must wait for the exporter instead: every batch record has its span.
 */
class SpanBackpressureTest {
  @TempDir Path stateDir;

  @Test
  void shouldExportTheSpanOfEveryBatchWhenThousandsOfKeysCloseAtOnce() {
    int keys = 6_000;
    try (TopologyFixture fixture =
        new TopologyFixture(
            stateDir,
            Map.of(BatchConfig.LINKS_PER_SPAN_CONFIG, 10),
            Sampler.parentBased(Sampler.alwaysOn()),
            exporter ->
                // The SDK's queue of 2,048 spans, and small requests (8 spans) in front of an
                // exporter that takes a little time per request: many slow requests per round.
                BatchSpanProcessor.builder(new SlowExporter(exporter))
                    .setMaxExportBatchSize(8)
                    .setScheduleDelay(Duration.ofMillis(200))
                    .build())) {
      for (int n = 0; n < keys; n++) {
        fixture.send(traced(n).key(String.format("customer-%05d", n)).at("2026-01-15T10:30:00Z"));
      }
      fixture.send(traced(keys).key("closer").at("2026-01-15T11:30:00Z"));

      List<OrderBatch> batches = fixture.batches.readValuesToList();
      assertThat(batches).hasSize(keys);
      List<SpanData> batchSpans =
          fixture.finishedSpans().stream()
              .filter(span -> span.getName().equals(SpanlinksAttributes.BATCH_SPAN_NAME))
              .toList();
      assertThat(batchSpans)
          .as("every batch span was exported before the batches were committed")
          .hasSize(keys);
      assertThat(batchSpans.stream().map(SpanData::getSpanId))
          .containsExactlyInAnyOrderElementsOf(batches.stream().map(OrderBatch::spanId).toList());
    }
  }

  @Test
  void shouldFailTheCloseWithoutDeadLetteringItsRecordWhenTheExporterHangs() {
    try (TopologyFixture fixture =
        new TopologyFixture(
            stateDir,
            Map.of(BatchConfig.EXPORT_TIMEOUT_MS_CONFIG, 50L),
            Sampler.parentBased(Sampler.alwaysOn()),
            exporter -> new HangingFlush())) {
      fixture.send(traced(1).at("2026-01-15T10:30:00Z"));
      assertThatThrownBy(() -> fixture.send(traced(2).at("2026-01-15T11:30:00Z")))
          .as("the close fails, so that Kafka Streams aborts its transaction")
          .hasRootCauseInstanceOf(SpanExportTimeoutException.class);
      assertThat(fixture.deadLetters.isEmpty()).as("the closing record is innocent").isTrue();
    }
  }

  /** A span processor whose flush never completes: an exporter that hangs. */
  private static final class HangingFlush implements SpanProcessor {
    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {}

    @Override
    public boolean isStartRequired() {
      return false;
    }

    @Override
    public void onEnd(ReadableSpan span) {}

    @Override
    public boolean isEndRequired() {
      return false;
    }

    @Override
    public CompletableResultCode forceFlush() {
      return new CompletableResultCode();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  /** Hands spans on to an in-memory exporter, 200 µs a span later: far slower than a close. */
  private record SlowExporter(SpanExporter delegate) implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      LockSupport.parkNanos(200_000L * spans.size());
      return delegate.export(spans);
    }

    @Override
    public CompletableResultCode flush() {
      return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
      return delegate.shutdown();
    }
  }
}
