package dev.spanlinks.streams.trace;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The names spanlinks writes into traces: its span names, and attribute keys of its own, all under
 * {@code spanlinks.}. Messaging keys come from the OpenTelemetry semantic conventions artifacts
 * instead. Code that reads spanlinks' spans back (a link map, a test, a backend query) finds them
 * by these names.
 */
public final class SpanlinksAttributes {
  /** The batch span of one closed (batch key, window): kind CONSUMER, no parent. */
  public static final String BATCH_SPAN_NAME = "process orders";

  /** A child (or chunk trace root) of the batch span carrying the links past the first chunk. */
  public static final String CHUNK_SPAN_NAME = "process orders chunk";

  /**
   * With {@code spanlinks.reverse.links}: a span in a linked order's own trace, back to the batch.
   */
  public static final String REVERSE_SPAN_NAME = "batched";

  public static final AttributeKey<String> BATCH_KEY =
      AttributeKey.stringKey("spanlinks.batch.key");
  public static final AttributeKey<String> WINDOW_START =
      AttributeKey.stringKey("spanlinks.window.start");
  public static final AttributeKey<String> WINDOW_END =
      AttributeKey.stringKey("spanlinks.window.end");
  public static final AttributeKey<Long> ORDERS_LINKED =
      AttributeKey.longKey("spanlinks.orders.linked");
  public static final AttributeKey<Long> ORDERS_UNLINKED =
      AttributeKey.longKey("spanlinks.orders.unlinked");
  public static final AttributeKey<Long> ORDERS_DUPLICATE =
      AttributeKey.longKey("spanlinks.orders.duplicate");
  public static final AttributeKey<Long> LINK_CHUNKS =
      AttributeKey.longKey("spanlinks.link.chunks");
  public static final AttributeKey<Long> LINK_CHUNK_INDEX =
      AttributeKey.longKey("spanlinks.link.chunk.index");
  public static final AttributeKey<Long> LINK_COUNT = AttributeKey.longKey("spanlinks.link.count");
  public static final AttributeKey<String> ORDER_ID = AttributeKey.stringKey("spanlinks.order.id");

  /**
   * On a link that is not an order's: what it leads to ({@link #LINK_TO_BATCH} from a chunk trace,
   * {@link #LINK_TO_CHUNK_TRACE} from the batch span).
   */
  public static final AttributeKey<String> LINK_TO = AttributeKey.stringKey("spanlinks.link.to");

  public static final String LINK_TO_BATCH = "batch";
  public static final String LINK_TO_CHUNK_TRACE = "chunk_trace";

  /** Chunk traces of a batch, kept apart to stay within {@code spanlinks.trace.max.bytes}. */
  public static final AttributeKey<Long> CHUNK_TRACES =
      AttributeKey.longKey("spanlinks.chunk.traces");

  public static final AttributeKey<String> ORDER_EVENT_TIME =
      AttributeKey.stringKey("spanlinks.order.event_time");

  /**
   * Set when the batch span starts if any of the batch's orders (in any chunk) arrived sampled, so
   * a sampler can keep the batch although it sees only the first chunk's links.
   */
  public static final AttributeKey<Boolean> LINKS_SAMPLED =
      AttributeKey.booleanKey("spanlinks.links.sampled");

  private SpanlinksAttributes() {}
}
