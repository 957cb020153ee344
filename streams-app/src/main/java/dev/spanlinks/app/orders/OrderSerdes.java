package dev.spanlinks.app.orders;

import dev.spanlinks.streams.LinkedBatch;
import dev.spanlinks.streams.RejectedRecordException;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde factories for the JSON records spanlinks reads and writes.
 *
 * <p>The order reader is strict: anything that is not a valid order throws {@link
 * RejectedRecordException} with a reason, so the record goes to the dead-letter topic instead of
 * into a batch. Unknown fields are ignored, so producers can add fields without breaking us.
 */
public final class OrderSerdes {
  private OrderSerdes() {}

  /** Reads the batch key; a null or empty key has no batch to go to. */
  public static Deserializer<String> batchKeyDeserializer() {
    return (topic, data) -> {
      if (data == null) {
        throw new RejectedRecordException("key (batch key) is null");
      }
      String key = new String(data, StandardCharsets.UTF_8);
      if (key.isBlank()) {
        throw new RejectedRecordException("key (batch key) is empty");
      }
      return key;
    };
  }

  /**
   * Reads and validates an order: a JSON object with a non-empty {@code orderId}, a non-negative
   * {@code amount} and a three-letter {@code currency}.
   *
   * @throws RejectedRecordException (from {@code deserialize}) naming the first rule the value
   *     breaks
   */
  public static Deserializer<Order> orderDeserializer() {
    return (topic, data) -> OrderJson.parseOrder(data);
  }

  /** Writes an order as the JSON {@link #orderDeserializer()} reads. */
  public static Serializer<Order> orderSerializer() {
    return (topic, order) -> OrderJson.toJson(order);
  }

  /** Writes a closed batch as JSON, as spanlinks does to its batches topic. */
  public static Serializer<OrderBatch> orderBatchSerializer() {
    return (topic, batch) -> OrderJson.toJson(batch);
  }

  /** A {@link LinkedBatch} as the batch JSON of {@link #orderBatchSerializer()}. */
  public static Serde<LinkedBatch> linkedBatchSerde() {
    return Serdes.serdeFrom(
        (topic, batch) -> OrderJson.toJson(OrderBatch.of(batch)),
        (topic, data) -> {
          OrderBatch batch = OrderJson.readOrderBatch(data);
          return batch == null ? null : batch.toLinkedBatch();
        });
  }

  /** Reads a batch from the batches topic. */
  public static Deserializer<OrderBatch> orderBatchDeserializer() {
    return (topic, data) -> OrderJson.readOrderBatch(data);
  }
}
