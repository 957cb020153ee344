package dev.spanlinks.streams.trace.internals;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The circuit around a failing exporter, with a delegate whose every answer the test gives and a
 * clock the test moves: waited for while it works, not waited for once it fails, tried again on its
 * schedule, every span not delivered counted once.
 */
class FailFastSpanExporterTest {
  private final AtomicLong clockMs = new AtomicLong(1_000_000);
  private final ScriptedExporter delegate = new ScriptedExporter();
  private final FailFastSpanExporter exporter =
      new FailFastSpanExporter(delegate, "http://collector:4318", 200, clockMs::get);

  @Test
  void shouldStopWaitingOnceAnExportFailsAndTryAgainOnItsSchedule() {
    CompletableResultCode first = exporter.export(spans(10));
    assertThat(first.isDone()).as("waited for while export works").isFalse();
    delegate.answer(0, false);
    assertThat(first.isSuccess()).isFalse();
    assertThat(exporter.isFailing()).isTrue();
    assertThat(exporter.droppedSpans()).isEqualTo(10);

    CompletableResultCode whileFailing = exporter.export(spans(7));
    assertThat(whileFailing.isDone()).as("answered at once, no network call").isTrue();
    assertThat(delegate.calls()).isEqualTo(1);
    assertThat(exporter.droppedSpans()).isEqualTo(17);

    clockMs.addAndGet(FailFastSpanExporter.FIRST_RETRY_MS);
    CompletableResultCode probe = exporter.export(spans(3));
    assertThat(probe.isDone()).as("nobody waits for a probe").isTrue();
    assertThat(delegate.calls()).isEqualTo(2);
    exporter.export(spans(4)); // while the probe is out: dropped
    assertThat(delegate.calls()).isEqualTo(2);
    delegate.answer(1, false);
    assertThat(exporter.droppedSpans()).isEqualTo(24);

    clockMs.addAndGet(FailFastSpanExporter.FIRST_RETRY_MS);
    exporter.export(spans(5));
    assertThat(delegate.calls()).as("the next probe waits twice as long").isEqualTo(2);
    clockMs.addAndGet(FailFastSpanExporter.FIRST_RETRY_MS);
    exporter.export(spans(5));
    assertThat(delegate.calls()).isEqualTo(3);
    delegate.answer(2, true);
    assertThat(exporter.isFailing()).as("a probe that succeeds ends the failing state").isFalse();
    assertThat(exporter.droppedSpans()).isEqualTo(29);

    CompletableResultCode healthy = exporter.export(spans(2));
    assertThat(healthy.isDone()).isFalse();
    delegate.answer(3, true);
    assertThat(healthy.isSuccess()).isTrue();
    assertThat(exporter.droppedSpans()).isEqualTo(29);
  }

  @Test
  void shouldStopWaitingForAnExporterThatNeverAnswers() {
    CompletableResultCode hanging = exporter.export(spans(10));
    assertThat(hanging.join(5, TimeUnit.SECONDS).isDone())
        .as("given up after the attempt timeout")
        .isTrue();
    assertThat(hanging.isSuccess()).isFalse();
    assertThat(exporter.isFailing()).isTrue();
    assertThat(exporter.droppedSpans())
        .as("not yet counted: the exporter may still deliver them")
        .isZero();
    assertThat(exporter.export(spans(5)).isDone()).isTrue();
    assertThat(exporter.droppedSpans()).isEqualTo(5);

    delegate.answer(0, false); // the exporter's own timeout, later
    assertThat(exporter.droppedSpans()).isEqualTo(15);
  }

  @Test
  void shouldNotCountALateSuccessAsDropped() {
    CompletableResultCode slow = exporter.export(spans(10));
    slow.join(5, TimeUnit.SECONDS);
    assertThat(exporter.isFailing()).isTrue();
    delegate.answer(0, true);
    assertThat(exporter.isFailing()).isFalse();
    assertThat(exporter.droppedSpans()).isZero();
  }

  private static List<SpanData> spans(int count) {
    List<SpanData> spans = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      spans.add(null); // the exporter only counts them; the delegate never reads them
    }
    return spans;
  }

  /** A delegate whose exports complete only when the test answers them, in call order. */
  private static final class ScriptedExporter implements SpanExporter {
    private final List<CompletableResultCode> results = new ArrayList<>();

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> spans) {
      CompletableResultCode result = new CompletableResultCode();
      results.add(result);
      return result;
    }

    synchronized int calls() {
      return results.size();
    }

    void answer(int call, boolean success) {
      CompletableResultCode result;
      synchronized (this) {
        result = results.get(call);
      }
      if (success) {
        result.succeed();
      } else {
        result.fail();
      }
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
