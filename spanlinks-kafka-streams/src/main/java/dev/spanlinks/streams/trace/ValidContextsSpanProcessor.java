package dev.spanlinks.streams.trace;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;

/**
 * A span processor that does nothing, so that spans keep valid contexts when no exporter is
 * configured. With {@code OTEL_TRACES_EXPORTER=none} the SDK has no span processor and hands out
 * invalid span contexts, so nothing is propagated: a producer that only turned span export off
 * wrote orders without any {@code traceparent}, and batches without their own. Propagation is the
 * point of spanlinks even where spans are not sent.
 */
public enum ValidContextsSpanProcessor implements SpanProcessor {
  INSTANCE;

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
}
