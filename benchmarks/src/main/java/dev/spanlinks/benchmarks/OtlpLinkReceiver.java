package dev.spanlinks.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark's handle on {@link OtlpLinkReceiverMain}, started in a child JVM with this JVM's
 * class path. spanlinks exports to it over OTLP/HTTP as it would to a collector.
 */
final class OtlpLinkReceiver implements AutoCloseable {
  /**
   * What the receiver has taken since the last reset.
   *
   * @param bytes request bodies as sent (the wire size of the OTLP protobuf)
   * @param orderLinks links to order span contexts (batch-to-chunk-trace links not counted)
   * @param distinctContexts order span contexts linked at least once
   * @param linkedMoreThanOnce order span contexts linked twice or more
   * @param checksum the sum of the low 64 bits of the trace ids of the distinct contexts
   */
  record Counts(
      long requests,
      long bytes,
      long spans,
      long orderLinks,
      long distinctContexts,
      long linkedMoreThanOnce,
      long checksum) {

    /** Fails unless the orders {@code 0..orders-1} of {@link Inputs} were each linked once. */
    void requireEachLinkedOnce(long orders) {
      long expectedChecksum = 0;
      for (long n = 0; n < orders; n++) {
        expectedChecksum += Inputs.traceIdLow(n);
      }
      if (orderLinks != orders
          || distinctContexts != orders
          || linkedMoreThanOnce != 0
          || checksum != expectedChecksum) {
        throw new IllegalStateException(
            "Traced orders not linked exactly once: expected "
                + orders
                + " orders, each linked once; the receiver counted "
                + this);
      }
    }

    double bytesPerLink() {
      return orderLinks == 0 ? 0 : (double) bytes / orderLinks;
    }
  }

  private final Process child;
  private final int port;
  private final HttpClient client = HttpClient.newHttpClient();

  OtlpLinkReceiver() throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    child =
        new ProcessBuilder(
                java,
                "-Xmx1g",
                // The JDK server leaves Nagle's algorithm on: with the client's delayed ACK, every
                // export request then took 40 ms more. Collectors (Go) set TCP_NODELAY.
                "-Dsun.net.httpserver.nodelay=true",
                "-cp",
                System.getProperty("java.class.path"),
                OtlpLinkReceiverMain.class.getName())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    BufferedReader lines =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    String line = lines.readLine();
    if (line == null || !line.startsWith("port=")) {
      child.destroyForcibly();
      throw new IllegalStateException("The OTLP receiver did not start: " + line);
    }
    port = Integer.parseInt(line.substring("port=".length()));
  }

  /** The OTLP/HTTP base endpoint ({@code otel.exporter.otlp.endpoint}). */
  String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  long pid() {
    return child.pid();
  }

  /** The CPU time the receiver's JVM has used so far (user and system), 0 where not known. */
  long cpuNanos() {
    return child.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  void reset() throws IOException, InterruptedException {
    send(HttpRequest.newBuilder(URI.create(endpoint() + "/reset")).POST(noBody()).build());
  }

  Counts counts() throws IOException, InterruptedException {
    String[] f =
        send(HttpRequest.newBuilder(URI.create(endpoint() + "/counts")).build()).split(" ");
    return new Counts(
        Long.parseLong(f[0]),
        Long.parseLong(f[1]),
        Long.parseLong(f[2]),
        Long.parseLong(f[3]),
        Long.parseLong(f[4]),
        Long.parseLong(f[5]),
        Long.parseLong(f[6]));
  }

  private static HttpRequest.BodyPublisher noBody() {
    return HttpRequest.BodyPublishers.noBody();
  }

  private String send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("OTLP receiver answered " + response.statusCode());
    }
    return response.body();
  }

  @Override
  public void close() {
    child.destroy();
    try {
      if (!child.waitFor(10, TimeUnit.SECONDS)) {
        child.destroyForcibly();
      }
    } catch (InterruptedException e) {
      child.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
