package dev.spanlinks.streams.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde factories for the JSON records spanlinks reads and writes.
 *
 * <p>The order reader is strict: anything that is not a valid order throws {@link
 * InvalidOrderException} with a reason, so the record goes to the dead-letter topic instead of into
 * a batch. Unknown fields are ignored, so producers can add fields without breaking us.
 */
public final class OrderSerdes {
  static final int MAX_ID_LENGTH = 256;
  private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          // Keep 12.50 as 12.50: amounts and their totals keep the scale they were sent with.
          .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .setDefaultPropertyInclusion(JsonInclude.Include.NON_NULL);

  private OrderSerdes() {}

  /** Reads the batch key; a null or empty key has no batch to go to. */
  public static Deserializer<String> batchKeyDeserializer() {
    return (topic, data) -> {
      if (data == null) {
        throw new InvalidOrderException("key (batch key) is null");
      }
      String key = new String(data, StandardCharsets.UTF_8);
      if (key.isBlank()) {
        throw new InvalidOrderException("key (batch key) is empty");
      }
      return key;
    };
  }

  /** Reads and validates an order; see {@link #parseOrder(byte[])}. */
  public static Deserializer<Order> orderDeserializer() {
    return (topic, data) -> parseOrder(data);
  }

  public static Serializer<Order> orderSerializer() {
    return OrderSerdes::toJson;
  }

  public static Serializer<OrderBatch> orderBatchSerializer() {
    return OrderSerdes::toJson;
  }

  public static Deserializer<OrderBatch> orderBatchDeserializer() {
    return (topic, data) -> {
      try {
        return data == null ? null : MAPPER.readValue(data, OrderBatch.class);
      } catch (IOException e) {
        throw new SerializationException("Not an OrderBatch", e);
      }
    };
  }

  /**
   * Parses one order value.
   *
   * @throws InvalidOrderException naming the first rule the value breaks
   */
  public static Order parseOrder(byte[] data) {
    if (data == null) {
      throw new InvalidOrderException("value is null (tombstone)");
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(data);
    } catch (IOException e) {
      throw new InvalidOrderException("value is not valid JSON");
    }
    if (root == null || !root.isObject()) {
      throw new InvalidOrderException("value is not a JSON object");
    }
    return new Order(
        requiredId(root, "orderId"),
        optionalText(root, "customerId"),
        optionalText(root, "region"),
        amount(root),
        currency(root),
        createdAt(root));
  }

  private static String requiredId(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      throw new InvalidOrderException(field + " is missing");
    }
    if (!node.isTextual() || node.textValue().isBlank()) {
      throw new InvalidOrderException(field + " must be a non-empty string");
    }
    if (node.textValue().length() > MAX_ID_LENGTH) {
      throw new InvalidOrderException(field + " is longer than " + MAX_ID_LENGTH + " characters");
    }
    return node.textValue();
  }

  private static String optionalText(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual() || node.textValue().length() > MAX_ID_LENGTH) {
      throw new InvalidOrderException(
          field + " must be a string of at most " + MAX_ID_LENGTH + " characters");
    }
    return node.textValue();
  }

  private static BigDecimal amount(JsonNode root) {
    JsonNode node = root.get("amount");
    if (node == null || node.isNull()) {
      throw new InvalidOrderException("amount is missing");
    }
    if (!node.isNumber()) {
      throw new InvalidOrderException("amount must be a JSON number");
    }
    BigDecimal amount = node.decimalValue();
    if (amount.signum() < 0) {
      throw new InvalidOrderException("amount must not be negative");
    }
    return amount;
  }

  private static String currency(JsonNode root) {
    JsonNode node = root.get("currency");
    if (node == null || node.isNull()) {
      throw new InvalidOrderException("currency is missing");
    }
    if (!node.isTextual() || !CURRENCY.matcher(node.textValue()).matches()) {
      throw new InvalidOrderException("currency must be three upper-case letters");
    }
    return node.textValue();
  }

  /** A missing or unusable createdAt is not an error: event time falls back to the record time. */
  private static Instant createdAt(JsonNode root) {
    JsonNode node = root.get("createdAt");
    if (node == null || !node.isTextual()) {
      return null;
    }
    try {
      Instant instant = Instant.parse(node.textValue());
      instant.toEpochMilli(); // beyond the range of epoch millis it cannot be an event time
      return instant;
    } catch (DateTimeParseException | ArithmeticException e) {
      return null;
    }
  }

  private static byte[] toJson(String topic, Object value) {
    try {
      return value == null ? null : MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new SerializationException("Cannot write " + value.getClass().getSimpleName(), e);
    }
  }
}
