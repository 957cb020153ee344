package dev.spanlinks.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;

/**
 * An OTLP/HTTP trace receiver, run by the benchmarks in a JVM of its own so that decoding does not
 * share the measured process: {@code POST /v1/traces} decodes each {@code
 * ExportTraceServiceRequest} ({@link OtlpLinkTally}) and counts the links to each order's span
 * context, answering 400 to a request it cannot decode; {@code GET /counts} answers the totals,
 * {@code POST /reset} starts over. Prints {@code port=N} on standard output once it listens.
 *
 * <p>Links that carry {@code spanlinks.link.to} join a batch span and its chunk traces: they are
 * not order links and are not counted.
 */
public final class OtlpLinkReceiverMain {
  private OtlpLinkTally tally = new OtlpLinkTally();
  private long bytes;

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
      byte[] request = body;
      if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
        try (InputStream gunzip = new GZIPInputStream(new ByteArrayInputStream(body))) {
          request = gunzip.readAllBytes();
        }
      }
      try {
        synchronized (this) {
          tally.add(request);
          bytes += body.length;
        }
      } catch (IllegalArgumentException malformed) {
        System.err.println("OTLP receiver: refused a request: " + malformed.getMessage());
        exchange.sendResponseHeaders(400, -1);
        return;
      }
      exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, -1);
    }
  }

  private synchronized void counts(HttpExchange exchange) throws IOException {
    respond(
        exchange,
        String.join(
            " ",
            Long.toString(tally.requests()),
            Long.toString(bytes),
            Long.toString(tally.spans()),
            Long.toString(tally.orderLinks()),
            Long.toString(tally.distinctContexts()),
            Long.toString(tally.linkedMoreThanOnce()),
            Long.toString(tally.checksum())));
  }

  private synchronized void reset(HttpExchange exchange) throws IOException {
    tally = new OtlpLinkTally();
    bytes = 0;
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
