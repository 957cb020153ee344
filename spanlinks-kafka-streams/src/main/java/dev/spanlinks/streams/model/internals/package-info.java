/**
 * Records and formats spanlinks uses inside: what one order leaves in the store ({@link
 * dev.spanlinks.streams.model.internals.Contribution}), how a record of the input topic is read
 * ({@link dev.spanlinks.streams.model.internals.InputFormat}), and the JSON rules of an order
 * ({@link dev.spanlinks.streams.model.internals.OrderJson}).
 *
 * <p>Internal, like Kafka Streams' {@code state.internals}; free to change in any release. Not
 * exported by the module descriptor: public only so that spanlinks' other packages can use it. What
 * users call is in {@link dev.spanlinks.streams.model}.
 */
package dev.spanlinks.streams.model.internals;
