package dev.spanlinks.app.replay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Moves records in time by a fixed amount, so that gaps between them are kept.
 *
 * <p>The topology windows orders on their <em>event time</em>: the {@code createdAt} of the JSON
 * value when it is a valid ISO-8601 instant, else the record timestamp (see {@code
 * OrderTimestampExtractor}). A shift therefore moves both: the record timestamp, and every
 * top-level {@code createdAt} of a JSON object value that parses as an instant. Only the bytes of
 * that string change; the rest of the value is kept byte for byte.
 *
 * @param deltaMs milliseconds added to every time
 */
public record TimeShift(long deltaMs) {
  private static final JsonFactory JSON = new JsonFactory();
  private static final String CREATED_AT = "createdAt";

  /** The shift that moves {@code earliestEventTimeMs} to {@code target}. */
  public static TimeShift moving(long earliestEventTimeMs, Instant target) {
    return new TimeShift(Math.subtractExact(target.toEpochMilli(), earliestEventTimeMs));
  }

  /**
   * The time the topology windows this record on: {@code createdAt} when the value has a valid one,
   * else the record timestamp.
   */
  public static long eventTimeMs(RecordLine record) {
    List<CreatedAt> createdAt = createdAtFields(record.value());
    // Like the order reader, the last of duplicate names wins, valid or not.
    Instant last = createdAt.isEmpty() ? null : createdAt.get(createdAt.size() - 1).instant();
    return last == null ? record.timestampMs() : last.toEpochMilli();
  }

  /** The record with its timestamp and its value's {@code createdAt} shifted. */
  public RecordLine apply(RecordLine record) {
    long timestamp = Math.addExact(record.timestampMs(), deltaMs);
    List<CreatedAt> fields =
        createdAtFields(record.value()).stream().filter(f -> f.instant() != null).toList();
    if (fields.isEmpty()) {
      return record.withTimestamp(timestamp, record.value());
    }
    byte[] value = record.value();
    ByteArrayOutputStream shifted = new ByteArrayOutputStream(value.length + 8);
    int copied = 0;
    for (CreatedAt field : fields) {
      shifted.write(value, copied, field.start() - copied);
      byte[] replacement =
          ('"' + field.instant().plusMillis(deltaMs).toString() + '"')
              .getBytes(StandardCharsets.UTF_8);
      shifted.write(replacement, 0, replacement.length);
      copied = field.end();
    }
    shifted.write(value, copied, value.length - copied);
    return record.withTimestamp(timestamp, shifted.toByteArray());
  }

  /**
   * Where a top-level createdAt value sits in the value bytes: [start, end), quotes included;
   * {@code instant} is null when it is not a valid instant string.
   */
  private record CreatedAt(int start, int end, Instant instant) {}

  private static List<CreatedAt> createdAtFields(byte[] value) {
    List<CreatedAt> found = new ArrayList<>();
    if (value == null || value.length == 0 || value[0] != '{') {
      return found;
    }
    try (JsonParser parser = JSON.createParser(value)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return found;
      }
      for (JsonToken token = parser.nextToken();
          token == JsonToken.FIELD_NAME;
          token = parser.nextToken()) {
        boolean createdAt = CREATED_AT.equals(parser.currentName());
        JsonToken fieldValue = parser.nextToken();
        if (createdAt && fieldValue == JsonToken.VALUE_STRING) {
          int start = (int) parser.currentTokenLocation().getByteOffset();
          String text = parser.getText();
          int end = (int) parser.currentLocation().getByteOffset();
          found.add(new CreatedAt(start, end, parseInstant(text)));
        } else {
          if (createdAt) {
            found.add(new CreatedAt(0, 0, null));
          }
          parser.skipChildren();
        }
      }
    } catch (IOException e) {
      // Not a JSON object: the order reader dead-letters it, and its timestamp is its time.
      return List.of();
    }
    return found;
  }

  /** As the order reader: an instant within epoch milliseconds, else none. */
  private static Instant parseInstant(String text) {
    try {
      Instant instant = Instant.parse(text);
      instant.toEpochMilli();
      return instant;
    } catch (DateTimeParseException | ArithmeticException e) {
      return null;
    }
  }
}
