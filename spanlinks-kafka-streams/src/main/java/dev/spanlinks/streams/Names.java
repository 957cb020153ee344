package dev.spanlinks.streams;

/**
 * The library's default names: topics (of {@link BatchConfig}) and, for an unnamed linked stream,
 * its processors and stores ({@link LinkNames}), which spanlinks' own orders topology keeps. Kafka
 * never generates one ({@code ensure.explicit.internal.resource.naming=true}), so changelog topics
 * and metrics keep their names across releases.
 */
final class Names {
  static final String ORDERS_TOPIC = "orders";
  static final String ORDER_BATCHES_TOPIC = "order-batches";
  static final String LATE_ORDERS_TOPIC = "orders-late";
  static final String DEAD_LETTER_TOPIC = "orders-dlq";

  static final String CAPTURE_ORDER = "capture-order";

  static final String CLOSE_WINDOWS = "close-windows";

  /** The two children the close step's unit tests drive it with (see CloseWindowsProcessor). */
  static final String ORDER_BATCHES_SINK = "order-batches-sink";

  static final String LATE_ORDERS_SINK = "orders-late-sink";

  /**
   * One small entry per order of every open window; changelog {@code <app
   * id>-batch-contributions-changelog}.
   */
  static final String CONTRIBUTIONS_STORE = "batch-contributions";

  /** How far this task has closed windows, so late orders stay late after a restart. */
  static final String WINDOW_PROGRESS_STORE = "window-progress";

  private Names() {}
}
