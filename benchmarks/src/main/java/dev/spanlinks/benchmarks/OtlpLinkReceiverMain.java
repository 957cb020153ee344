package dev.spanlinks.benchmarks;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * An OTLP/HTTP trace receiver, run by the benchmarks in a JVM of its own so that decoding does not
 * share the measured process: {@code POST /v1/traces} decodes each {@code
 * ExportTraceServiceRequest} and counts the links to each order's span context; {@code GET /counts}
 * answers the totals, {@code POST /reset} starts over. Prints {@code port=N} on standard output
 * once it listens.
 *
 * <p>Links that carry {@code spanlinks.link.to} join a batch span and its chunk traces: they are
 * not order links and are not counted.
 */
public final class OtlpLinkReceiverMain {
  private final Map<ByteString, Integer> linksPerContext = new HashMap<>();
  private long requests;
  private long bytes;
  private long spans;
  private long orderLinks;
  private long linkedMoreThanOnce;
  private long checksum;

  private OtlpLinkReceiverMain() {}

  public static void main(String[] args) throws IOException {
    OtlpLinkReceiverMain receiver = new OtlpLinkReceiverMain();
    HttpServer http =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext("/v1/traces", receiver::traces);
    http.createContext("/counts", receiver::counts);
    http.createContext("/reset", receiver::reset);
    http.start();
    System.out.println("port=" + http.getAddress().getPort());
    System.out.flush();
  }

  private void traces(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      InputStream decoded = new java.io.ByteArrayInputStream(body);
      if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
        decoded = new GZIPInputStream(decoded);
      }
      ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(decoded);
      synchronized (this) {
        requests++;
        bytes += body.length;
        for (ResourceSpans resource : request.getResourceSpansList()) {
          for (ScopeSpans scope : resource.getScopeSpansList()) {
            for (Span span : scope.getSpansList()) {
              spans++;
              span.getLinksList().forEach(this::count);
            }
          }
        }
      }
      exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, -1);
    }
  }

  private void count(Span.Link link) {
    for (KeyValue attribute : link.getAttributesList()) {
      if (attribute.getKey().equals("spanlinks.link.to")) {
        return;
      }
    }
    orderLinks++;
    int times = linksPerContext.merge(link.getTraceId().concat(link.getSpanId()), 1, Integer::sum);
    if (times == 1) {
      checksum += link.getTraceId().substring(8).asReadOnlyByteBuffer().getLong();
    } else if (times == 2) {
      linkedMoreThanOnce++;
    }
  }

  private synchronized void counts(HttpExchange exchange) throws IOException {
    respond(
        exchange,
        String.join(
            " ",
            Long.toString(requests),
            Long.toString(bytes),
            Long.toString(spans),
            Long.toString(orderLinks),
            Long.toString(linksPerContext.size()),
            Long.toString(linkedMoreThanOnce),
            Long.toString(checksum)));
  }

  private synchronized void reset(HttpExchange exchange) throws IOException {
    linksPerContext.clear();
    requests = 0;
    bytes = 0;
    spans = 0;
    orderLinks = 0;
    linkedMoreThanOnce = 0;
    checksum = 0;
    respond(exchange, "ok");
  }

  private static void respond(HttpExchange exchange, String text) throws IOException {
    try (exchange) {
      byte[] response = text.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, response.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(response);
      }
    }
  }
}
