package dev.spanlinks.streams.trace.internals;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.sdk.trace.IdGenerator;

/**
 * An SDK {@link IdGenerator} that uses the ids a batch asks for, and random ids otherwise.
 *
 * <p>The SDK asks the generator for ids with no arguments, so the wanted ids travel in the current
 * {@link Context} while the span starts ({@link #withIds}). Spans of any other code are untouched.
 * Under an SDK that was not built with this generator (for example the OpenTelemetry Java agent's),
 * the hint is ignored and batch spans get random ids; {@link BatchTracer} notices and says so once.
 */
public final class DeterministicIdGenerator implements IdGenerator {
  private static final ContextKey<SpanIds> WANTED = ContextKey.named("spanlinks-wanted-span-ids");

  private final IdGenerator fallback = IdGenerator.random();

  /** The ids the next span started in the returned context should get. */
  static Context withIds(Context context, String traceId, String spanId) {
    return context.with(WANTED, new SpanIds(traceId, spanId));
  }

  @Override
  public String generateSpanId() {
    SpanIds wanted = Context.current().get(WANTED);
    return wanted == null ? fallback.generateSpanId() : wanted.spanId();
  }

  @Override
  public String generateTraceId() {
    SpanIds wanted = Context.current().get(WANTED);
    return wanted == null ? fallback.generateTraceId() : wanted.traceId();
  }

  private record SpanIds(String traceId, String spanId) {}
}
