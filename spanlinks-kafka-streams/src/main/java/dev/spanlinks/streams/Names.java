package dev.spanlinks.streams;

/**
 * Every name spanlinks gives to Kafka: default topics, processors, stores and sinks. Kafka never
 * generates one ({@code ensure.explicit.internal.resource.naming=true}), so changelog topics and
 * metrics keep their names across releases.
 */
final class Names {
  static final String ORDERS_TOPIC = "orders";
  static final String ORDER_BATCHES_TOPIC = "order-batches";
  static final String LATE_ORDERS_TOPIC = "orders-late";
  static final String DEAD_LETTER_TOPIC = "orders-dlq";

  static final String ORDERS_SOURCE = "orders-source";
  static final String CAPTURE_ORDER = "capture-order";

  /** When the batch key comes from the value ({@code spanlinks.json.batch.key.pointer}). */
  static final String BATCH_KEY_FROM_VALUE = "batch-key-from-value";

  /** Holds every order to the write limits before anything is written for it. */
  static final String ADMIT_ORDER = "admit-order";

  /** With {@code spanlinks.repartition.by.key}: notes each order's input position. */
  static final String MARK_SOURCE_POSITION = "mark-source-position";

  /**
   * With {@code spanlinks.repartition.by.key}: the repartition by batch key, through the internal
   * topic {@code <application.id>-orders-by-key-repartition}.
   */
  static final String ORDERS_BY_KEY = "orders-by-key";

  static final String CLOSE_WINDOWS = "close-windows";
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
