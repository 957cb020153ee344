package dev.spanlinks.app.orders;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.spanlinks.streams.BatchedRecord;
import dev.spanlinks.streams.RejectedRecordException;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * spanlinks' JSON: the one {@link ObjectMapper} it reads and writes records with, and the rules an
 * order (and a record of the {@code json} input format) must meet. The public serdes ({@link
 * dev.spanlinks.app.orders.OrderSerdes}) and the input formats both read through here.
 *
 * <p>The order reader is strict: anything that is not a valid order throws {@link
 * RejectedRecordException} with a reason, so the record goes to the dead-letter topic instead of
 * into a batch. Unknown fields are ignored, so producers can add fields without breaking us.
 */
public final class OrderJson {
  /** The longest order id (and record id) spanlinks keeps. */
  public static final int MAX_ID_LENGTH = BatchedRecord.MAX_ID_CHARS;

  private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          // Keep 12.50 as 12.50: amounts and their totals keep the scale they were sent with.
          .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          // A second object (or anything) after the order is not an order: never half-read it.
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .setDefaultPropertyInclusion(JsonInclude.Include.NON_NULL);

  private OrderJson() {}

  /**
   * Parses one order value.
   *
   * @throws RejectedRecordException naming the first rule the value breaks
   */
  public static Order parseOrder(byte[] data) {
    JsonNode root = readObject(data);
    return new Order(
        requiredId(root, "orderId"),
        optionalText(root, "customerId"),
        optionalText(root, "region"),
        amount(root),
        currency(root),
        createdAt(root));
  }

  /**
   * Reads a value that must be one JSON object.
   *
   * @throws RejectedRecordException for a tombstone, invalid JSON, trailing data, a number out of
   *     any range, or JSON that is not an object
   */
  static JsonNode readObject(byte[] data) {
    if (data == null) {
      throw new RejectedRecordException("value is null (tombstone)");
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(data);
    } catch (IOException e) {
      throw new RejectedRecordException("value is not valid JSON");
    } catch (NumberFormatException | ArithmeticException e) {
      // Valid JSON, but a number no BigDecimal can hold (1e9999999999: its exponent is past int).
      throw new RejectedRecordException("value holds a number out of any representable range");
    }
    if (root == null || !root.isObject()) {
      throw new RejectedRecordException("value is not a JSON object");
    }
    return root;
  }

  /**
   * Orders as spanlinks itself wrote them to its repartition topic: already read and validated from
   * the input topic in any {@link InputFormat}, so read back as they are.
   */
  public static Deserializer<Order> internalOrderDeserializer() {
    return (topic, data) -> {
      try {
        return MAPPER.readValue(data, Order.class);
      } catch (IOException e) {
        throw new SerializationException("Not an order spanlinks wrote", e);
      }
    };
  }

  /** Reads an {@link OrderBatch} that {@link #toJson} wrote; null for null. */
  public static OrderBatch readOrderBatch(byte[] data) {
    try {
      return data == null ? null : MAPPER.readValue(data, OrderBatch.class);
    } catch (IOException e) {
      throw new SerializationException("Not an OrderBatch", e);
    }
  }

  private static String requiredId(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      throw new RejectedRecordException(field + " is missing");
    }
    if (!node.isTextual() || node.textValue().isBlank()) {
      throw new RejectedRecordException(field + " must be a non-empty string");
    }
    if (node.textValue().length() > MAX_ID_LENGTH) {
      throw new RejectedRecordException(field + " is longer than " + MAX_ID_LENGTH + " characters");
    }
    return node.textValue();
  }

  private static String optionalText(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual() || node.textValue().length() > MAX_ID_LENGTH) {
      throw new RejectedRecordException(
          field + " must be a string of at most " + MAX_ID_LENGTH + " characters");
    }
    return node.textValue();
  }

  private static BigDecimal amount(JsonNode root) {
    JsonNode node = root.get("amount");
    if (node == null || node.isNull()) {
      throw new RejectedRecordException("amount is missing");
    }
    if (!node.isNumber()) {
      throw new RejectedRecordException("amount must be a JSON number");
    }
    return monetaryAmount(node.decimalValue());
  }

  /**
   * The amount as spanlinks keeps it: the rules of a batch's sums ({@link
   * BatchedRecord#checkedSum}).
   *
   * @throws RejectedRecordException naming the rule the amount breaks
   */
  static BigDecimal monetaryAmount(BigDecimal amount) {
    return BatchedRecord.checkedSum(amount, "amount");
  }

  private static String currency(JsonNode root) {
    JsonNode node = root.get("currency");
    if (node == null || node.isNull()) {
      throw new RejectedRecordException("currency is missing");
    }
    if (!node.isTextual() || !CURRENCY.matcher(node.textValue()).matches()) {
      throw new RejectedRecordException("currency must be three upper-case letters");
    }
    return node.textValue();
  }

  /**
   * A missing or unparseable createdAt is not an error: event time falls back to the record time. A
   * valid instant that Kafka cannot use as a timestamp (before 1970, or past the range of epoch
   * milliseconds) is: Kafka Streams would skip a negative timestamp with only a log line.
   */
  private static Instant createdAt(JsonNode root) {
    JsonNode node = root.get("createdAt");
    if (node == null || !node.isTextual()) {
      return null;
    }
    Instant instant;
    try {
      instant = Instant.parse(node.textValue());
    } catch (DateTimeParseException e) {
      return null;
    }
    return kafkaTimestamp(instant, "createdAt");
  }

  /**
   * The instant, when Kafka can use it as a timestamp ({@link BatchedRecord#checkedTimestamp}).
   *
   * @throws RejectedRecordException before 1970 or past the range of epoch milliseconds
   */
  static Instant kafkaTimestamp(Instant instant, String what) {
    return BatchedRecord.checkedTimestamp(instant, what);
  }

  /** The value as JSON; null for null. */
  public static byte[] toJson(Object value) {
    try {
      return value == null ? null : MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new SerializationException("Cannot write " + value.getClass().getSimpleName(), e);
    }
  }
}
