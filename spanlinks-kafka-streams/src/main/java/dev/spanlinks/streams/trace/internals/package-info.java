/**
 * How batch spans are made: the tracer and its export rounds, the spans of one batch and their
 * chunks, deterministic ids, the byte-bounded exporter, the link-aware sampler, metrics, and the
 * header carrier the capture reads trace context with.
 *
 * <p>Internal, like Kafka Streams' {@code state.internals}; free to change in any release. Not
 * exported by the module descriptor: public only so that spanlinks' other packages can use it. What
 * users call is in {@link dev.spanlinks.streams.trace}.
 */
package dev.spanlinks.streams.trace.internals;
