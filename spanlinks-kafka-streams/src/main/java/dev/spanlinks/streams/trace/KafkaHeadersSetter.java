package dev.spanlinks.streams.trace;

import io.opentelemetry.context.propagation.TextMapSetter;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;

/**
 * Writes trace context into Kafka headers, replacing any header of the same key: an output record
 * must carry exactly one {@code traceparent}, the batch span's, never one inherited from the record
 * that happened to close the window.
 */
public enum KafkaHeadersSetter implements TextMapSetter<Headers> {
  INSTANCE;

  @Override
  public void set(Headers headers, String key, String value) {
    if (headers == null) {
      return;
    }
    headers.remove(key);
    headers.add(key, value.getBytes(StandardCharsets.UTF_8));
  }
}
