/**
 * The state layer: how the records of open windows are kept until they close. The typed store the
 * close step uses ({@link dev.spanlinks.streams.state.BatchBlockStore}: batches and contributions
 * in, scan-then-tombstone out) over blocks of compact entries and their key layout ({@link
 * dev.spanlinks.streams.state.ContributionStore}, {@link dev.spanlinks.streams.state.OpenBlocks}),
 * and the fingerprints a close counts redeliveries with ({@link
 * dev.spanlinks.streams.state.SeenOrderIds}).
 *
 * <p>Internal, like Kafka Streams' own {@code state.internals}; free to change in any release. Not
 * exported by the module descriptor: public only so that spanlinks' other packages can use it. What
 * users call is in {@link dev.spanlinks.streams}: {@code LinkedWindows}, {@code BatchConfig}. The
 * store's formats are versioned: a release reads every format an earlier one wrote, so windows left
 * open across an upgrade close normally.
 */
package dev.spanlinks.streams.state;
