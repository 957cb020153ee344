package dev.spanlinks.streams.trace.internals;

import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.trace.SpanLimits;
import io.opentelemetry.sdk.trace.SpanLimitsBuilder;
import java.util.function.Supplier;

/**
 * The SDK's span limits, with the link limit of a batch span cut to the links it will carry.
 *
 * <p>The SDK sizes a span's link list to the link limit the moment the first link is added: with
 * spanlinks' limit ({@code spanlinks.links.per.span} plus 1,024 chunk-trace links, 2,024 by
 * default) every span allocated an 8 KB array, however few links it had. At 100,000 batch keys an
 * hour nearly every batch is one order, and those arrays were a quarter of all the application
 * allocated. The SDK asks its limits supplier once per span, when the span builder is made, so a
 * batch span that knows its links says so ({@link #spanBuilder}) and gets a limit of exactly that
 * many; every other span, and a batch span that may still take links once started (the batch span
 * of a batch of several chunks), gets the configured limits.
 *
 * <p>Only SDKs that spanlinks builds install it ({@link dev.spanlinks.streams.SpanlinksTelemetry});
 * under any other the hint is ignored and spans get the SDK's own limits, as before.
 */
public final class LinkCapacity implements Supplier<SpanLimits> {
  /** No hint: the configured limits. */
  private static final int UNKNOWN = -1;

  /** Hints up to this many links reuse prebuilt limits. */
  private static final int PREBUILT = 64;

  private static final ThreadLocal<int[]> nextSpanLinks =
      ThreadLocal.withInitial(() -> new int[] {UNKNOWN});

  private final SpanLimits configured;
  private final SpanLimits[] prebuilt = new SpanLimits[PREBUILT + 1];

  public LinkCapacity(SpanLimits configured) {
    this.configured = configured;
    for (int links = 0; links <= PREBUILT; links++) {
      prebuilt[links] = withLinkLimit(configured, links);
    }
  }

  /**
   * A span builder whose span will carry exactly {@code links} links, all added to the builder:
   * under an SDK with this supplier its link list is sized to them.
   */
  static SpanBuilder spanBuilder(Tracer tracer, String spanName, int links) {
    int[] hint = nextSpanLinks.get();
    hint[0] = links;
    try {
      return tracer.spanBuilder(spanName);
    } finally {
      hint[0] = UNKNOWN;
    }
  }

  /** Read by the SDK as each span builder is made. */
  @Override
  public SpanLimits get() {
    int links = nextSpanLinks.get()[0];
    if (links == UNKNOWN || links >= configured.getMaxNumberOfLinks()) {
      return configured;
    }
    return links <= PREBUILT ? prebuilt[links] : withLinkLimit(configured, links);
  }

  /** The limits this supplier hands out when no span says how many links it will carry. */
  public SpanLimits configured() {
    return configured;
  }

  /**
   * The span limits OpenTelemetry's autoconfigure makes of {@code OTEL_ATTRIBUTE_*} and {@code
   * OTEL_SPAN_*} settings, which a tracer provider customizer cannot read back from the builder.
   */
  public static SpanLimits fromConfig(ConfigProperties config) {
    SpanLimitsBuilder builder = SpanLimits.builder();
    Integer valueLength = config.getInt("otel.attribute.value.length.limit");
    if (valueLength != null) {
      builder.setMaxAttributeValueLength(valueLength);
    }
    Integer spanValueLength = config.getInt("otel.span.attribute.value.length.limit");
    if (spanValueLength != null) {
      builder.setMaxAttributeValueLength(spanValueLength);
    }
    Integer attributes = config.getInt("otel.attribute.count.limit");
    if (attributes != null) {
      builder
          .setMaxNumberOfAttributes(attributes)
          .setMaxNumberOfAttributesPerEvent(attributes)
          .setMaxNumberOfAttributesPerLink(attributes);
    }
    Integer spanAttributes = config.getInt("otel.span.attribute.count.limit");
    if (spanAttributes != null) {
      builder.setMaxNumberOfAttributes(spanAttributes);
    }
    Integer events = config.getInt("otel.span.event.count.limit");
    if (events != null) {
      builder.setMaxNumberOfEvents(events);
    }
    Integer links = config.getInt("otel.span.link.count.limit");
    if (links != null) {
      builder.setMaxNumberOfLinks(links);
    }
    return builder.build();
  }

  private static SpanLimits withLinkLimit(SpanLimits limits, int links) {
    return limits.toBuilder()
        .setMaxNumberOfLinks(Math.min(links, limits.getMaxNumberOfLinks()))
        .build();
  }
}
