package dev.spanlinks.streams.trace.internals;

import io.opentelemetry.context.propagation.TextMapGetter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/** Reads trace context from Kafka headers; the last header of a key wins. Never throws. */
public enum KafkaHeadersGetter implements TextMapGetter<Headers> {
  INSTANCE;

  @Override
  public String get(Headers headers, String key) {
    Header header = headers == null ? null : headers.lastHeader(key);
    return header == null || header.value() == null
        ? null
        : new String(header.value(), StandardCharsets.UTF_8);
  }

  @Override
  public Iterator<String> getAll(Headers headers, String key) {
    List<String> values = new ArrayList<>();
    if (headers != null) {
      for (Header header : headers.headers(key)) {
        if (header.value() != null) {
          values.add(new String(header.value(), StandardCharsets.UTF_8));
        }
      }
    }
    return values.iterator();
  }
}
