package dev.spanlinks.streams;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import java.math.BigDecimal;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * For tests that drive {@link CloseWindowsProcessor} alone: a context holding its two stores (in
 * memory, empty, as a task's first start or a revive after a commit of nothing leaves them), its
 * orders, and the batches it forwarded.
 */
final class CloseProcessorContexts {
  private CloseProcessorContexts() {}

  static MockProcessorContext<Object, Object> withEmptyStores() {
    MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
    KeyValueStore<?, ?> contributions =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(Names.CONTRIBUTIONS_STORE),
                Serdes.Bytes(),
                Serdes.ByteArray())
            .withLoggingDisabled()
            .build();
    KeyValueStore<?, ?> progress =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(Names.WINDOW_PROGRESS_STORE),
                Serdes.String(),
                Serdes.Long())
            .withLoggingDisabled()
            .build();
    for (KeyValueStore<?, ?> store : List.of(contributions, progress)) {
      store.init(context.getStateStoreContext(), store);
      context.addStateStore(store);
    }
    return context;
  }

  /** An order of batch key {@code eu} at {@code eventTimeMs}, as capture-order hands it on. */
  static Record<String, CapturedRecord> order(String id, long eventTimeMs, SpanContext context) {
    Record<String, String> late = new Record<>("eu", id, eventTimeMs);
    return new Record<>(
        "eu",
        new CapturedRecord(id, "EUR", BigDecimal.ONE, Attributes.empty(), context, 0, 0, late),
        eventTimeMs);
  }

  /** The batches forwarded. */
  static List<LinkedBatch> batches(MockProcessorContext<Object, Object> context) {
    return context.forwarded().stream()
        .map(forward -> forward.record().value())
        .filter(LinkedBatch.class::isInstance)
        .map(LinkedBatch.class::cast)
        .toList();
  }
}
