package dev.spanlinks.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams.State;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint of {@code run --health-port}: {@code GET /health/live} and {@code GET
 * /health/ready} answer 200 or 503 (see {@link HealthProbe}) with a short JSON body naming the
 * Kafka Streams state, e.g. {@code {"status":"UP","state":"RUNNING"}}. {@code HEAD} answers the
 * same without a body; any other path is 404 and any other method 405.
 *
 * <p>It only reads the state, on the JDK's own server thread, so an answer never waits for a stream
 * thread. {@code run} starts it before it checks the cluster (alive, not ready) and closes it last,
 * after Kafka Streams has closed and telemetry is flushed: until then the probes answer 503 with
 * the state of the shutdown, then connections are refused.
 */
final class HealthServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HealthServer.class);
  private final HttpServer server;
  private final Supplier<State> state;
  private final AtomicBoolean closed = new AtomicBoolean();

  private HealthServer(HttpServer server, Supplier<State> state) {
    this.server = server;
    this.state = state;
  }

  /**
   * Binds {@code address} (port 0: any free port; the log line names the bound one) and serves the
   * probes.
   *
   * @param state the current Kafka Streams state, {@code null} before Kafka Streams exists; called
   *     on every request, so it must be cheap and must not throw
   * @throws StartupException when the address cannot be resolved or bound
   */
  static HealthServer start(InetSocketAddress address, Supplier<State> state) {
    if (address.isUnresolved()) {
      throw new StartupException("Cannot resolve the health probe address " + hostPort(address));
    }
    HttpServer server;
    try {
      server = HttpServer.create(address, 0);
    } catch (IOException e) {
      throw new StartupException(
          "Cannot serve health probes on " + hostPort(address) + ": " + e.getMessage(), e);
    }
    HealthServer health = new HealthServer(server, state);
    server.createContext("/", health::handle);
    server.start();
    log.info(
        "Serving health probes. address=[{}] port=[{}] paths=[{}, {}]",
        // As given: the JDK reports an IPv4 wildcard as the IPv6 one, 0:0:0:0:0:0:0:0.
        address.getHostString(),
        server.getAddress().getPort(),
        HealthProbe.LIVE.path(),
        HealthProbe.READY.path());
    return health;
  }

  private static String hostPort(InetSocketAddress address) {
    return address.getHostString() + ":" + address.getPort();
  }

  /** The bound port (the chosen one when started on port 0). */
  int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      HealthProbe probe = HealthProbe.forPath(exchange.getRequestURI().getPath());
      String method = exchange.getRequestMethod();
      boolean head = "HEAD".equals(method);
      if (probe == null) {
        respond(exchange, 404, "{\"error\":\"not found\"}", head);
      } else if (!head && !"GET".equals(method)) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        respond(exchange, 405, "{\"error\":\"method not allowed\"}", false);
      } else {
        State current = state.get();
        respond(exchange, probe.isUp(current) ? 200 : 503, probe.body(current), head);
      }
    } finally {
      exchange.close();
    }
  }

  private static void respond(HttpExchange exchange, int status, String json, boolean head)
      throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    // -1: no body (HEAD); a GET always has one.
    exchange.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Stops serving: from then on connections are refused. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      server.stop(0);
    }
  }
}
