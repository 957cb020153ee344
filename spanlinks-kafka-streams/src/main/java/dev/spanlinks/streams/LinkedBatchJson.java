package dev.spanlinks.streams;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A {@link LinkedBatch} as JSON: the fields by their names, instants in ISO-8601, sums with the
 * scale they were summed with.
 */
final class LinkedBatchJson {
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private LinkedBatchJson() {}

  static byte[] write(LinkedBatch batch) {
    try {
      return batch == null ? null : MAPPER.writeValueAsBytes(batch);
    } catch (JsonProcessingException e) {
      throw new SerializationException("Cannot write a LinkedBatch", e);
    }
  }

  static LinkedBatch read(byte[] data) {
    try {
      return data == null ? null : MAPPER.readValue(data, LinkedBatch.class);
    } catch (IOException e) {
      throw new SerializationException("Not a LinkedBatch", e);
    }
  }
}
