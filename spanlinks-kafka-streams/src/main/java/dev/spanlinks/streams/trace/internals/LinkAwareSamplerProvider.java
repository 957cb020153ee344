package dev.spanlinks.streams.trace.internals;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSamplerProvider;
import io.opentelemetry.sdk.trace.samplers.Sampler;

/** Makes {@link LinkAwareSampler} selectable as {@code OTEL_TRACES_SAMPLER=spanlinks_linked}. */
public final class LinkAwareSamplerProvider implements ConfigurableSamplerProvider {
  static final String NAME = "spanlinks_linked";

  @Override
  public Sampler createSampler(ConfigProperties config) {
    return new LinkAwareSampler(config.getDouble("otel.traces.sampler.arg", 0.0));
  }

  @Override
  public String getName() {
    return NAME;
  }
}
