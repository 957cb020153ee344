package dev.spanlinks.streams.trace.internals;

import dev.spanlinks.streams.trace.SpanlinksAttributes;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.util.List;

/**
 * Keeps a batch span whenever any order it links arrived sampled, so an order kept by head sampling
 * never loses the batch that took it. Child spans follow their parent; other root spans are kept at
 * the given ratio (by trace id).
 *
 * <p>A sampler sees only the links on the span builder, which for a large batch are the first
 * chunk's. So the batch span also starts with {@link SpanlinksAttributes#LINKS_SAMPLED} when any
 * order of the batch, in any chunk, arrived sampled.
 *
 * <p>Selected with {@code OTEL_TRACES_SAMPLER=spanlinks_linked}; {@code OTEL_TRACES_SAMPLER_ARG} is
 * the ratio for root spans with no sampled link (default 0).
 */
public final class LinkAwareSampler implements Sampler {
  private final Sampler otherRoots;

  public LinkAwareSampler(double otherRootsRatio) {
    this.otherRoots =
        otherRootsRatio <= 0.0 ? Sampler.alwaysOff() : Sampler.traceIdRatioBased(otherRootsRatio);
  }

  @Override
  public SamplingResult shouldSample(
      Context parentContext,
      String traceId,
      String name,
      SpanKind spanKind,
      Attributes attributes,
      List<LinkData> parentLinks) {
    SpanContext parent = Span.fromContext(parentContext).getSpanContext();
    if (parent.isValid()) {
      return parent.isSampled() ? SamplingResult.recordAndSample() : SamplingResult.drop();
    }
    if (Boolean.TRUE.equals(attributes.get(SpanlinksAttributes.LINKS_SAMPLED))
        || parentLinks.stream().anyMatch(link -> link.getSpanContext().isSampled())) {
      return SamplingResult.recordAndSample();
    }
    return otherRoots.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
  }

  @Override
  public String getDescription() {
    return "LinkAwareSampler{otherRoots=" + otherRoots.getDescription() + "}";
  }
}
