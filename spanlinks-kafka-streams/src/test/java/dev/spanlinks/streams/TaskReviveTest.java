package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanContext;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/**
 * Kafka Streams re-runs {@code init} on the same processor instance when it revives a task that it
 * closed dirty (say, a commit failed under exactly-once while a broker restarted), after restoring
 * the state of the last commit. Nothing the instance learnt from input before may survive.
 */
class TaskReviveTest {
  private static final Instant WALL = Instant.parse("2026-03-01T00:00:00Z");

  @Test
  void shouldStartARevivedTaskFromCommittedStateOnly() {
    CloseWindowsProcessor processor =
        new CloseWindowsProcessor(
            new BatchConfig(
                Map.of(StreamsConfig.APPLICATION_ID_CONFIG, "revive", "bootstrap.servers", "x:1")),
            OpenTelemetry.noop());

    MockProcessorContext<Object, Object> beforeCrash = contextWithFreshStores();
    processor.init(beforeCrash);
    processor.process(order("o-1", "2026-01-15T10:30:00Z"));
    processor.process(order("o-2", "2026-01-15T11:06:00Z"));
    assertThat(batches(beforeCrash)).as("10:00 closed, but never committed").hasSize(1);

    // Revived: the last commit came before both orders, so the restored stores are empty, and
    // the two orders are processed again.
    MockProcessorContext<Object, Object> revived = contextWithFreshStores();
    processor.init(revived);
    processor.process(order("o-1", "2026-01-15T10:30:00Z"));
    assertThat(revived.forwarded()).as("o-1 is on time again, not late").isEmpty();
    processor.process(order("o-2", "2026-01-15T11:06:00Z"));

    List<LinkedBatch> batches = batches(revived);
    assertThat(batches).hasSize(1);
    assertThat(batches.get(0).recordCount()).isEqualTo(1);
    assertThat(batches.get(0).windowStart()).isEqualTo(Instant.parse("2026-01-15T10:00:00Z"));
  }

  /** The task's stores as the last commit left them: empty. In memory, as for any unit test. */
  private static MockProcessorContext<Object, Object> contextWithFreshStores() {
    MockProcessorContext<Object, Object> context = CloseProcessorContexts.withEmptyStores();
    context.setCurrentSystemTimeMs(WALL.toEpochMilli());
    return context;
  }

  private static Record<String, CapturedRecord> order(String orderId, String createdAt) {
    return CloseProcessorContexts.order(
        orderId, Instant.parse(createdAt).toEpochMilli(), SpanContext.getInvalid());
  }

  private static List<LinkedBatch> batches(MockProcessorContext<Object, Object> context) {
    return CloseProcessorContexts.batches(context);
  }
}
