/**
 * spanlinks for Kafka Streams: event-time windows whose batch span links every record of the
 * window.
 *
 * <p>Exported, and so what users call: {@link dev.spanlinks.streams} (the entry points, the records
 * a reader returns and a batch is, and the configuration) and {@link dev.spanlinks.streams.trace}
 * (the OpenTelemetry set-up, and the span and attribute names spanlinks writes). The state layer
 * ({@code dev.spanlinks.streams.state}) and the {@code internals} packages are not exported:
 * internal, like Kafka Streams' {@code state.internals}, and free to change in any release.
 *
 * <p>On the class path (as the app, the benchmarks and the docs run it) this descriptor is ignored
 * and every public class is reachable; {@code PublicApiTest} keeps the exported set deliberate.
 */
module dev.spanlinks.streams {
  // Types of these modules appear in the exported API (Topology, KStream, AbstractConfig,
  // Serializer, OpenTelemetry, the SDK builders), so users of this module read them too.
  requires transitive kafka.streams;
  requires transitive kafka.clients;
  requires transitive io.opentelemetry.api;
  requires transitive io.opentelemetry.context;
  requires transitive io.opentelemetry.sdk;
  requires transitive io.opentelemetry.sdk.trace;
  requires transitive io.opentelemetry.sdk.autoconfigure;
  requires transitive com.fasterxml.jackson.annotation;
  requires io.opentelemetry.sdk.common;
  requires transitive io.opentelemetry.sdk.autoconfigure.spi;
  requires io.opentelemetry.semconv;
  requires io.opentelemetry.semconv.incubating;
  requires com.fasterxml.jackson.core;
  requires com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.datatype.jsr310;
  requires org.lz4.java;
  requires org.slf4j;

  exports dev.spanlinks.streams;
  exports dev.spanlinks.streams.trace;

  // Jackson reads and writes LinkedBatch by reflection.
  opens dev.spanlinks.streams to
      com.fasterxml.jackson.databind;

  // OTEL_TRACES_SAMPLER=spanlinks_linked; META-INF/services names it for class-path users.
  provides io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSamplerProvider with
      dev.spanlinks.streams.trace.internals.LinkAwareSamplerProvider;
}
