package dev.spanlinks.app.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a {@link LinkMap} as one self-contained HTML page: the data as compact JSON and the
 * script and styles inline, so it opens from a file with no network at all.
 */
final class LinkMapPage {
  private static final String TEMPLATE = "link-map.html";
  private static final String DATA_PLACEHOLDER = "/*LINK_MAP_DATA*/null";

  private LinkMapPage() {}

  /**
   * @param traceUrl a URL template with {@code {traceId}}, such as Jaeger's {@code
   *     http://localhost:16686/trace/{traceId}}, or null for plain trace ids
   */
  static String render(LinkMap map, String traceUrl) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("keys", map.batchKeys());
    List<Object[]> batches = new ArrayList<>();
    for (LinkMap.Batch b : map.batches()) {
      batches.add(
          new Object[] {
            b.keyIndex(),
            b.windowStartMs(),
            b.windowEndMs(),
            b.traceId(),
            b.spanId(),
            b.orderCount(),
            b.linked(),
            b.unlinked(),
            b.chunks()
          });
    }
    data.put("batches", batches);
    List<Object[]> orders = new ArrayList<>();
    for (LinkMap.Order o : map.orders()) {
      orders.add(
          new Object[] {o.eventTimeMs(), o.keyIndex(), o.batchIndex(), o.orderId(), o.traceId()});
    }
    data.put("orders", orders);
    data.put("traceUrl", traceUrl);
    String json;
    try {
      // "</" would end the script element early.
      json = new ObjectMapper().writeValueAsString(data).replace("</", "<\\/");
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
    return template().replace(DATA_PLACEHOLDER, json);
  }

  private static String template() {
    try (InputStream in = LinkMapPage.class.getResourceAsStream(TEMPLATE)) {
      if (in == null) {
        throw new IllegalStateException(TEMPLATE + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
