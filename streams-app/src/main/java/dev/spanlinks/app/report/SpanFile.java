package dev.spanlinks.app.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads spans from OTLP JSON lines: one {@code ExportTraceServiceRequest} in the OTLP/JSON encoding
 * per line, as the demo and the OpenTelemetry Collector's file exporter write them. Only what the
 * link map needs is kept.
 */
final class SpanFile {
  /** A link: the linked span's ids and the link's attributes. */
  record Link(String traceId, String spanId, Map<String, String> attributes) {}

  /** A span, reduced to what the link map draws. */
  record Span(
      String name,
      String kind,
      String traceId,
      String spanId,
      String parentSpanId,
      long startMs,
      Map<String, String> attributes,
      List<Link> links) {}

  private SpanFile() {}

  static List<Span> read(Path path) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    List<Span> spans = new ArrayList<>();
    try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      int lineNumber = 0;
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        lineNumber++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode request;
        try {
          request = mapper.readTree(line);
        } catch (IOException e) {
          throw new IOException(
              path + " line " + lineNumber + " is not OTLP JSON: " + e.getMessage(), e);
        }
        for (JsonNode resource : request.path("resourceSpans")) {
          for (JsonNode scope : resource.path("scopeSpans")) {
            for (JsonNode span : scope.path("spans")) {
              spans.add(span(span));
            }
          }
        }
      }
    }
    return spans;
  }

  private static Span span(JsonNode span) {
    List<Link> links = new ArrayList<>();
    for (JsonNode link : span.path("links")) {
      links.add(
          new Link(
              link.path("traceId").asText(),
              link.path("spanId").asText(),
              attributes(link.path("attributes"))));
    }
    return new Span(
        span.path("name").asText(),
        kind(span.path("kind")),
        span.path("traceId").asText(),
        span.path("spanId").asText(),
        span.path("parentSpanId").asText(""),
        Long.parseLong(span.path("startTimeUnixNano").asText("0")) / 1_000_000,
        attributes(span.path("attributes")),
        links);
  }

  /** OTLP/JSON writes kinds as numbers; other writers may use the enum names. */
  private static String kind(JsonNode kind) {
    if (kind.isNumber()) {
      return switch (kind.asInt()) {
        case 2 -> "SERVER";
        case 3 -> "CLIENT";
        case 4 -> "PRODUCER";
        case 5 -> "CONSUMER";
        default -> "INTERNAL";
      };
    }
    return kind.asText("").replace("SPAN_KIND_", "");
  }

  private static Map<String, String> attributes(JsonNode attributes) {
    Map<String, String> values = new HashMap<>();
    for (JsonNode attribute : attributes) {
      JsonNode value = attribute.path("value");
      String text =
          value.has("stringValue")
              ? value.get("stringValue").asText()
              : value.has("intValue")
                  ? value.get("intValue").asText()
                  : value.has("boolValue")
                      ? value.get("boolValue").asText()
                      : value.has("doubleValue") ? value.get("doubleValue").asText() : null;
      if (text != null) {
        values.put(attribute.path("key").asText(), text);
      }
    }
    return values;
  }
}
