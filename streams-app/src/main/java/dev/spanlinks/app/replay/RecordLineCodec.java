package dev.spanlinks.app.replay;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The JSON Lines form of a Kafka record, one JSON object per line:
 *
 * <pre>
 * {"topic":"orders","partition":0,"offset":41,"timestamp":"2026-03-01T10:00:00.123Z",
 *  "key":"eu","headers":[{"key":"traceparent","value":"00-…-01"}],
 *  "valueEncoding":"json","value":{"orderId":"o-1","amount":12.50,…}}
 * </pre>
 *
 * <p>Keys, values and header values are bytes, and every byte sequence round-trips exactly. Each is
 * written in the first of these forms that reproduces it byte for byte:
 *
 * <ul>
 *   <li>{@code json} (values only): the value is itself JSON, embedded as is, so {@code jq
 *       .value.orderId} works; chosen only when writing the embedded JSON back gives the very same
 *       bytes (no whitespace, same number forms, no duplicate names);
 *   <li>{@code text}: valid UTF-8, written as a JSON string; the default, so its marker is left
 *       out;
 *   <li>{@code base64}: anything else.
 * </ul>
 *
 * The marker is {@code keyEncoding} and {@code valueEncoding} on the record and {@code encoding} on
 * a header; without it a field is {@code text}. A JSON {@code null} is a null key, a tombstone
 * value, or a header with a null value. {@code timestamp} is an ISO-8601 instant (epoch
 * milliseconds are accepted on reading); {@code topic}, {@code partition} and {@code offset} are
 * where the record was exported from and may be left out. Unknown fields are ignored.
 *
 * <p>Thread-safe.
 */
public final class RecordLineCodec {
  static final String TEXT = "text";
  static final String JSON = "json";
  static final String BASE64 = "base64";

  // Exact numbers: 12.50 stays 12.50, so more order values embed as JSON.
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private RecordLineCodec() {}

  /** The record as one line of JSON, without the line break. */
  public static String encode(RecordLine record) {
    StringWriter line = new StringWriter(256);
    try (JsonGenerator json = MAPPER.getFactory().createGenerator(line)) {
      json.writeStartObject();
      if (record.topic() != null) {
        json.writeStringField("topic", record.topic());
      }
      if (record.partition() != null) {
        json.writeNumberField("partition", record.partition());
      }
      if (record.offset() != null) {
        json.writeNumberField("offset", record.offset());
      }
      json.writeStringField("timestamp", Instant.ofEpochMilli(record.timestampMs()).toString());
      writeBytes(json, "key", "keyEncoding", record.key(), false);
      json.writeArrayFieldStart("headers");
      for (RecordLine.Header header : record.headers()) {
        json.writeStartObject();
        json.writeStringField("key", header.key());
        writeBytes(json, "value", "encoding", header.value(), false);
        json.writeEndObject();
      }
      json.writeEndArray();
      writeBytes(json, "value", "valueEncoding", record.value(), true);
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("Writing to memory cannot fail", e);
    }
    return line.toString();
  }

  /**
   * Reads one line.
   *
   * @throws IllegalArgumentException with the reason, when the line is not a record
   */
  public static RecordLine decode(String line) {
    JsonNode root;
    try {
      root = MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not valid JSON (" + e.getOriginalMessage() + ")");
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    if (!root.has("value")) {
      throw new IllegalArgumentException("\"value\" is missing (write null for a tombstone)");
    }
    List<RecordLine.Header> headers = new ArrayList<>();
    JsonNode headerNodes = root.path("headers");
    if (!headerNodes.isMissingNode() && !headerNodes.isNull() && !headerNodes.isArray()) {
      throw new IllegalArgumentException("\"headers\" must be an array");
    }
    int index = 0;
    for (JsonNode header : headerNodes) {
      String where = "headers[" + index++ + "]";
      JsonNode key = header.get("key");
      if (key == null || !key.isTextual()) {
        throw new IllegalArgumentException(where + ".key must be a string");
      }
      if (!header.has("value")) {
        throw new IllegalArgumentException(where + ".value is missing (write null for none)");
      }
      headers.add(
          new RecordLine.Header(
              key.textValue(), readBytes(header, "value", "encoding", where + ".value")));
    }
    return new RecordLine(
        optionalText(root, "topic"),
        optionalInt(root, "partition"),
        optionalLong(root, "offset"),
        timestamp(root.get("timestamp")),
        readBytes(root, "key", "keyEncoding", "key"),
        readBytes(root, "value", "valueEncoding", "value"),
        headers);
  }

  private static void writeBytes(
      JsonGenerator json, String field, String markerField, byte[] bytes, boolean mayEmbedJson)
      throws IOException {
    if (bytes == null) {
      json.writeNullField(field);
      return;
    }
    if (mayEmbedJson) {
      JsonNode embedded = embeddableJson(bytes);
      if (embedded != null) {
        json.writeStringField(markerField, JSON);
        json.writeFieldName(field);
        json.writeTree(embedded);
        return;
      }
    }
    String text = utf8(bytes);
    if (text != null) {
      json.writeStringField(field, text);
    } else {
      json.writeStringField(markerField, BASE64);
      json.writeStringField(field, Base64.getEncoder().encodeToString(bytes));
    }
  }

  /** The parsed JSON when writing it back gives exactly these bytes, else null. */
  private static JsonNode embeddableJson(byte[] bytes) {
    if (bytes.length == 0 || (bytes[0] != '{' && bytes[0] != '[')) {
      return null;
    }
    try {
      JsonNode node = MAPPER.readTree(bytes);
      return Arrays.equals(MAPPER.writeValueAsBytes(node), bytes) ? node : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** The text when the bytes are valid UTF-8 that encodes back to the same bytes, else null. */
  private static String utf8(byte[] bytes) {
    try {
      CharBuffer chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes));
      String text = chars.toString();
      return Arrays.equals(text.getBytes(StandardCharsets.UTF_8), bytes) ? text : null;
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static byte[] readBytes(JsonNode parent, String field, String markerField, String name) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    JsonNode marker = parent.get(markerField);
    String encoding = marker == null || marker.isNull() ? TEXT : marker.asText();
    switch (encoding) {
      case JSON:
        try {
          return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
          throw new IllegalArgumentException(name + " cannot be written back as JSON");
        }
      case TEXT:
        if (!node.isTextual()) {
          throw new IllegalArgumentException(
              name + " must be a string (or set " + markerField + " to json)");
        }
        return node.textValue().getBytes(StandardCharsets.UTF_8);
      case BASE64:
        if (!node.isTextual()) {
          throw new IllegalArgumentException(name + " must be a base64 string");
        }
        try {
          return Base64.getDecoder().decode(node.textValue());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(name + " is not valid base64");
        }
      default:
        throw new IllegalArgumentException(
            markerField + " must be text, json or base64, not \"" + encoding + "\"");
    }
  }

  private static long timestamp(JsonNode node) {
    if (node == null || node.isNull()) {
      throw new IllegalArgumentException("\"timestamp\" is missing");
    }
    if (node.isIntegralNumber() && node.canConvertToLong()) {
      return node.longValue();
    }
    if (node.isTextual()) {
      try {
        return Instant.parse(node.textValue()).toEpochMilli();
      } catch (DateTimeParseException | ArithmeticException e) {
        // reported below
      }
    }
    throw new IllegalArgumentException(
        "\"timestamp\" must be an ISO-8601 instant or epoch milliseconds, not " + node);
  }

  private static String optionalText(JsonNode root, String field) {
    JsonNode node = root.get(field);
    return node == null || node.isNull() ? null : node.asText();
  }

  private static Integer optionalInt(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.canConvertToInt() || !node.isIntegralNumber() || node.intValue() < 0) {
      throw new IllegalArgumentException("\"" + field + "\" must be a non-negative integer");
    }
    return node.intValue();
  }

  private static Long optionalLong(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.canConvertToLong() || !node.isIntegralNumber() || node.longValue() < 0) {
      throw new IllegalArgumentException("\"" + field + "\" must be a non-negative integer");
    }
    return node.longValue();
  }
}
