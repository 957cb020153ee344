package dev.spanlinks.app.orders;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.RejectedRecordException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * How the input topic's record values become orders, so that an operator can point spanlinks at an
 * existing topic without code:
 *
 * <ul>
 *   <li>{@link Kind#ORDERS}: spanlinks' own order JSON ({@link OrderJson#parseOrder}), the default
 *       and the demo.
 *   <li>{@link Kind#JSON}: JSON objects of any shape; JSON pointers (RFC 6901) name where the
 *       record id, the event time, the batch key and a summed number are. Each is optional.
 *   <li>{@link Kind#UNPARSED}: the value is never read; the record key is the batch key, the record
 *       timestamp the event time.
 * </ul>
 *
 * <p>A record without an id of its own gets its input position as id ({@code partition@offset},
 * from the library: {@link dev.spanlinks.streams.BatchedRecord#id()}), so a redelivered record
 * still counts once. Immutable and thread-safe.
 */
public final class InputFormat {
  /** The input formats. */
  public enum Kind {
    ORDERS,
    JSON,
    UNPARSED;

    /** The setting's spelling: lower case. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The id of an order that has none of its own: the library gives it its input position. */
  public static final String NO_ID = "";

  /** The totals key of records that carry no summed number: their batch has no totals. */
  public static final String NO_SUM = "";

  private static final InputFormat ORDERS = new InputFormat(Kind.ORDERS, null, null, null, null);

  private final Kind kind;
  private final JsonPointer idPointer;
  private final JsonPointer eventTimePointer;
  private final JsonPointer batchKeyPointer;
  private final JsonPointer sumPointer;

  private InputFormat(
      Kind kind,
      JsonPointer idPointer,
      JsonPointer eventTimePointer,
      JsonPointer batchKeyPointer,
      JsonPointer sumPointer) {
    this.kind = kind;
    this.idPointer = idPointer;
    this.eventTimePointer = eventTimePointer;
    this.batchKeyPointer = batchKeyPointer;
    this.sumPointer = sumPointer;
  }

  /** The format {@code config} names ({@value BatchConfig#INPUT_FORMAT_CONFIG}). */
  public static InputFormat of(BatchConfig config) {
    String kind = config.getString(BatchConfig.INPUT_FORMAT_CONFIG);
    if (kind.equals(Kind.UNPARSED.configName())) {
      return unparsed();
    }
    if (kind.equals(Kind.JSON.configName())) {
      return json(
          config.getString(BatchConfig.JSON_ID_POINTER_CONFIG),
          config.getString(BatchConfig.JSON_EVENT_TIME_POINTER_CONFIG),
          config.getString(BatchConfig.JSON_BATCH_KEY_POINTER_CONFIG),
          config.getString(BatchConfig.JSON_SUM_POINTER_CONFIG));
    }
    return orders();
  }

  /** spanlinks' own order JSON. */
  public static InputFormat orders() {
    return ORDERS;
  }

  /** Values never read: key and record timestamp only. */
  public static InputFormat unparsed() {
    return new InputFormat(Kind.UNPARSED, null, null, null, null);
  }

  /**
   * JSON objects of any shape. Each pointer may be empty: then the record's position is the id, the
   * record timestamp the event time, the record key the batch key, and batches have no totals.
   *
   * @throws IllegalArgumentException for a pointer that is not an RFC 6901 JSON pointer
   */
  public static InputFormat json(String id, String eventTime, String batchKey, String sum) {
    return new InputFormat(
        Kind.JSON, pointer(id), pointer(eventTime), pointer(batchKey), pointer(sum));
  }

  Kind kind() {
    return kind;
  }

  /** True when the batch key comes from the value, not from the record key. */
  public boolean batchKeyFromValue() {
    return batchKeyPointer != null;
  }

  /**
   * Reads a record value as this format says; invalid values throw {@link RejectedRecordException}.
   */
  public Deserializer<Order> valueDeserializer() {
    return switch (kind) {
      case ORDERS -> (topic, data) -> OrderJson.parseOrder(data);
      case UNPARSED -> (topic, data) -> new Order(NO_ID, null, null, BigDecimal.ZERO, NO_SUM, null);
      case JSON -> (topic, data) -> readJson(data);
    };
  }

  private Order readJson(byte[] data) {
    JsonNode root = OrderJson.readObject(data);
    String id = idPointer == null ? NO_ID : text(root, idPointer, "id");
    Instant eventTime = eventTimePointer == null ? null : eventTime(root);
    String batchKey = batchKeyPointer == null ? null : text(root, batchKeyPointer, "batch key");
    BigDecimal sum = BigDecimal.ZERO;
    String sumKey = NO_SUM;
    if (sumPointer != null) {
      JsonNode node = root.at(sumPointer);
      if (!node.isMissingNode() && !node.isNull()) {
        if (!node.isNumber()) {
          throw new RejectedRecordException("the summed field " + sumPointer + " is not a number");
        }
        sum = OrderJson.monetaryAmount(node.decimalValue());
      }
      sumKey = sumPointer.toString();
    }
    return new Order(id, null, null, sum, sumKey, eventTime, batchKey);
  }

  /** A string, or an integral number as its digits; missing or blank is invalid. */
  private static String text(JsonNode root, JsonPointer pointer, String what) {
    JsonNode node = root.at(pointer);
    String text;
    if (node.isTextual()) {
      text = node.textValue();
    } else if (node.isIntegralNumber()) {
      text = node.asText();
    } else {
      throw new RejectedRecordException(
          "the " + what + " at " + pointer + " is missing or not a string or integer");
    }
    if (text.isBlank()) {
      throw new RejectedRecordException("the " + what + " at " + pointer + " is empty");
    }
    if (text.length() > OrderJson.MAX_ID_LENGTH) {
      throw new RejectedRecordException(
          "the "
              + what
              + " at "
              + pointer
              + " is longer than "
              + OrderJson.MAX_ID_LENGTH
              + " characters");
    }
    return text;
  }

  /**
   * Epoch milliseconds (an integer) or an ISO-8601 instant (with an offset); missing is the record
   * timestamp, anything else is invalid.
   */
  private Instant eventTime(JsonNode root) {
    JsonNode node = root.at(eventTimePointer);
    if (node.isMissingNode() || node.isNull()) {
      return null;
    }
    Instant instant;
    if (node.isIntegralNumber() && node.canConvertToLong()) {
      instant = Instant.ofEpochMilli(node.longValue());
    } else if (node.isTextual()) {
      try {
        instant = OffsetDateTime.parse(node.textValue()).toInstant();
      } catch (DateTimeParseException e) {
        throw new RejectedRecordException(
            "the event time at " + eventTimePointer + " is not an ISO-8601 instant");
      }
    } else {
      throw new RejectedRecordException(
          "the event time at " + eventTimePointer + " is not epoch milliseconds or a string");
    }
    return OrderJson.kafkaTimestamp(instant, "the event time at " + eventTimePointer);
  }

  private static JsonPointer pointer(String text) {
    Objects.requireNonNull(text, "pointer");
    if (text.isEmpty()) {
      return null;
    }
    try {
      return JsonPointer.compile(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Not a JSON pointer (RFC 6901, such as /order/id): " + text, e);
    }
  }

  @Override
  public String toString() {
    return "InputFormat{"
        + kind.configName()
        + (idPointer == null ? "" : " id=" + idPointer)
        + (eventTimePointer == null ? "" : " eventTime=" + eventTimePointer)
        + (batchKeyPointer == null ? "" : " batchKey=" + batchKeyPointer)
        + (sumPointer == null ? "" : " sum=" + sumPointer)
        + "}";
  }
}
