package dev.spanlinks.streams.trace.internals;

import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * For tests of what waits for the exporter: every export is held until {@link #release()} (for at
 * most 10 seconds), then the names of its spans are recorded.
 */
public final class GatedSpanExporter implements SpanExporter {
  private final CountDownLatch exporting = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private final List<String> exported = new CopyOnWriteArrayList<>();

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    exporting.countDown();
    try {
      release.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    spans.forEach(span -> exported.add(span.getName()));
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    return CompletableResultCode.ofSuccess();
  }

  /** Lets every held export, and every later one, through. */
  public void release() {
    release.countDown();
  }

  /** True once an export has begun (and is held), within {@code timeout}. */
  public boolean awaitExporting(Duration timeout) throws InterruptedException {
    return exporting.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The names of the spans exported so far, in order. */
  public List<String> exportedNames() {
    return List.copyOf(exported);
  }

  /** An SDK that exports through this exporter only when flushed. */
  public OpenTelemetrySdk sdk() {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(
            SdkTracerProvider.builder()
                .addSpanProcessor(
                    BatchSpanProcessor.builder(this).setScheduleDelay(Duration.ofHours(1)).build())
                .build())
        .build();
  }
}
