package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.trace.internals.CountsAtCommit;
import dev.spanlinks.streams.trace.internals.GatedSpanExporter;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * On a stream thread with a transactional producer, a close the wall clock decides (here an idle
 * close) has that decision committed before it emits its batches: an order that comes in between is
 * late, and an owner that finds a decided window not yet emitted (the close was cut off) emits it
 * with the orders the decision froze. A close that a record decides is emitted at once: the same
 * input decides it again. The broker test {@code ReEmissionIT} cuts a real idle close off.
 */
class TwoStepCloseTest {
  private static final long TEN = Instant.parse("2026-01-15T10:00:00Z").toEpochMilli();
  private static final long HOUR = 3_600_000;
  private static final long DAY_LATER = TEN + Duration.ofDays(1).toMillis();
  private static final Duration IDLE = Duration.ofMinutes(1);
  private static final SpanContext TRACED =
      SpanContext.createFromRemoteParent(
          "4bf92f3577b34da6a3ce929d0e0e4736",
          "00f067aa0ba902b7",
          TraceFlags.getSampled(),
          TraceState.getDefault());

  private final GatedSpanExporter exporter = new GatedSpanExporter();
  private final ExecutorService streamThread = Executors.newSingleThreadExecutor();

  @BeforeEach
  void transactionalThread() throws Exception {
    exporter.release();
    onStreamThread(CountsAtCommit::holdUntilCommit);
  }

  @AfterEach
  void stop() throws Exception {
    onStreamThread(CountsAtCommit::closed);
    streamThread.shutdownNow();
  }

  @Test
  void shouldEmitADecidedWindowOnlyOnceTheDecisionCommittedAndRouteLaterOrdersLate()
      throws Exception {
    try (OpenTelemetrySdk sdk = exporter.sdk()) {
      MockProcessorContext<Object, Object> context = CloseProcessorContexts.withEmptyStores();
      CloseWindowsProcessor processor = processor(sdk);
      onStreamThread(
          () -> {
            context.setCurrentSystemTimeMs(DAY_LATER);
            processor.init(context);
            processor.process(CloseProcessorContexts.order("o-1", TEN + 60_000, TRACED));
            processor.process(CloseProcessorContexts.order("o-2", TEN + 120_000, TRACED));
          });
      idleClose(context); // decides the 10:00 window
      assertThat(CloseProcessorContexts.batches(context))
          .as("nothing emitted before the decision commits")
          .isEmpty();
      assertThat(context.committed()).as("the decision asks for its commit").isTrue();

      onStreamThread(
          () ->
              processor.process(CloseProcessorContexts.order("o-late", TEN + 30 * 60_000, TRACED)));
      assertThat(lateOrderIds(context)).as("an order of the decided window").contains("o-late");
      assertThat(CloseProcessorContexts.batches(context))
          .as("still not committed: still nothing emitted")
          .isEmpty();

      onStreamThread(
          () -> {
            CountsAtCommit.committed();
            processor.process(CloseProcessorContexts.order("o-4", TEN + 2 * HOUR, TRACED));
          });
      assertThat(CloseProcessorContexts.batches(context))
          .as("emitted after the commit, with the orders the decision froze")
          .singleElement()
          .satisfies(batch -> assertThat(batch.recordCount()).isEqualTo(2));
    }
  }

  @Test
  void shouldEmitWhatACutOffCloseDecidedWhenTheTaskIsOwnedAgain() throws Exception {
    try (OpenTelemetrySdk sdk = exporter.sdk()) {
      MockProcessorContext<Object, Object> context = CloseProcessorContexts.withEmptyStores();
      CloseWindowsProcessor first = processor(sdk);
      onStreamThread(
          () -> {
            context.setCurrentSystemTimeMs(DAY_LATER);
            first.init(context);
            first.process(CloseProcessorContexts.order("o-1", TEN + 60_000, TRACED));
          });
      idleClose(context); // decides the 10:00 window
      onStreamThread(CountsAtCommit::committed); // the decision commits; then the owner is gone
      assertThat(CloseProcessorContexts.batches(context)).isEmpty();

      CloseWindowsProcessor next = processor(sdk);
      onStreamThread(
          () -> {
            next.init(context); // the committed state: decided, not emitted
            next.process(CloseProcessorContexts.order("o-late", TEN + 30 * 60_000, TRACED));
          });
      assertThat(CloseProcessorContexts.batches(context))
          .as("emitted by the next owner without another commit, as decided")
          .singleElement()
          .satisfies(batch -> assertThat(batch.recordCount()).isEqualTo(1));
      assertThat(lateOrderIds(context)).containsExactly("o-late");
    }
  }

  @Test
  void shouldEmitACloseThatARecordDecidedAtOnce() throws Exception {
    try (OpenTelemetrySdk sdk = exporter.sdk()) {
      MockProcessorContext<Object, Object> context = CloseProcessorContexts.withEmptyStores();
      CloseWindowsProcessor processor = processor(sdk);
      onStreamThread(
          () -> {
            context.setCurrentSystemTimeMs(DAY_LATER);
            processor.init(context);
            processor.process(CloseProcessorContexts.order("o-1", TEN + 60_000, TRACED));
            processor.process(
                CloseProcessorContexts.order(
                    "o-2", TEN + 2 * HOUR, TRACED)); // its event time closes 10:00
          });
      assertThat(CloseProcessorContexts.batches(context))
          .as("emitted in the same transaction: a re-run closes it at the same record")
          .singleElement()
          .satisfies(batch -> assertThat(batch.recordCount()).isEqualTo(1));
    }
  }

  /** Lets the wall clock pass the idle time with no record, then runs the close check. */
  private void idleClose(MockProcessorContext<Object, Object> context) throws Exception {
    MockProcessorContext.CapturedPunctuator check =
        context.scheduledPunctuators().stream()
            .filter(p -> p.getInterval().equals(Duration.ofSeconds(1)))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no close check scheduled"));
    long now = context.currentSystemTimeMs() + IDLE.toMillis() + 1;
    onStreamThread(
        () -> {
          context.setCurrentSystemTimeMs(now);
          check.getPunctuator().punctuate(now);
        });
  }

  private static List<String> lateOrderIds(MockProcessorContext<Object, Object> context) {
    return context.forwarded(Names.LATE_ORDERS_SINK).stream()
        .map(forward -> (String) forward.record().value())
        .toList();
  }

  private static CloseWindowsProcessor processor(OpenTelemetrySdk sdk) {
    return new CloseWindowsProcessor(
        new BatchConfig(
            Map.of(
                "application.id",
                "two-step",
                "bootstrap.servers",
                "x:9",
                BatchConfig.IDLE_CLOSE_MS_CONFIG,
                IDLE.toMillis(),
                BatchConfig.CLOSE_CHECK_INTERVAL_MS_CONFIG,
                1_000L)),
        sdk);
  }

  private void onStreamThread(Runnable step) throws Exception {
    streamThread.submit(step).get(10, TimeUnit.SECONDS);
  }
}
