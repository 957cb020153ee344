package dev.spanlinks.app;

/**
 * How to create spanlinks' topics when they are missing.
 *
 * @param create false to only use existing topics
 * @param partitions partitions of a created topic; -1 for the broker's default
 * @param replicationFactor replication factor of a created topic; -1 for the broker's default
 */
public record TopicSettings(boolean create, int partitions, short replicationFactor) {
  public static final TopicSettings BROKER_DEFAULTS = new TopicSettings(true, -1, (short) -1);
}
