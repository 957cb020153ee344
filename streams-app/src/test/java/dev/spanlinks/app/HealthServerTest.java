package dev.spanlinks.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The probe endpoint over real HTTP on the loopback interface, with a state the test sets. */
class HealthServerTest {
  private final AtomicReference<State> state = new AtomicReference<>();
  private final HttpClient client = HttpClient.newHttpClient();
  private final HealthServer server =
      HealthServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), state::get);

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldFollowTheKafkaStreamsStateFromStartToShutdown() throws Exception {
    assertThat(server.port()).isPositive();
    assertAnswer("/health/live", 200, "{\"status\":\"UP\",\"state\":\"STARTING\"}");
    assertAnswer("/health/ready", 503, "{\"status\":\"DOWN\",\"state\":\"STARTING\"}");

    state.set(State.REBALANCING);
    assertAnswer("/health/live", 200, "{\"status\":\"UP\",\"state\":\"REBALANCING\"}");
    assertAnswer("/health/ready", 503, "{\"status\":\"DOWN\",\"state\":\"REBALANCING\"}");

    state.set(State.RUNNING);
    assertAnswer("/health/live", 200, "{\"status\":\"UP\",\"state\":\"RUNNING\"}");
    assertAnswer("/health/ready", 200, "{\"status\":\"UP\",\"state\":\"RUNNING\"}");

    state.set(State.PENDING_SHUTDOWN);
    assertAnswer("/health/live", 503, "{\"status\":\"DOWN\",\"state\":\"PENDING_SHUTDOWN\"}");
    assertAnswer("/health/ready", 503, "{\"status\":\"DOWN\",\"state\":\"PENDING_SHUTDOWN\"}");

    state.set(State.ERROR);
    assertAnswer("/health/live", 503, "{\"status\":\"DOWN\",\"state\":\"ERROR\"}");
  }

  private void assertAnswer(String path, int status, String body) throws Exception {
    HttpResponse<String> response = send("GET", path);
    assertThat(response.statusCode()).as(path).isEqualTo(status);
    assertThat(response.body()).as(path).isEqualTo(body);
    assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
  }

  @Test
  void shouldAnswerHeadWithoutABody() throws Exception {
    state.set(State.RUNNING);
    HttpResponse<String> response = send("HEAD", "/health/ready");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEmpty();
  }

  @Test
  void shouldRefuseOtherPathsAndMethods() throws Exception {
    state.set(State.RUNNING);
    assertThat(send("GET", "/").statusCode()).isEqualTo(404);
    assertThat(send("GET", "/health").statusCode()).isEqualTo(404);
    assertThat(send("GET", "/health/readyz").statusCode()).isEqualTo(404);
    HttpResponse<String> post = send("POST", "/health/ready");
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
    assertThat(send("DELETE", "/health/live").statusCode()).isEqualTo(405);
  }

  @Test
  void shouldRefuseConnectionsOnceClosed() throws Exception {
    assertThat(send("GET", "/health/live").statusCode()).isEqualTo(200);
    server.close();
    server.close();
    assertThatThrownBy(() -> send("GET", "/health/live")).isInstanceOf(ConnectException.class);
  }

  @Test
  void shouldSayInOneLineWhenThePortIsTaken() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThatThrownBy(
              () ->
                  HealthServer.start(
                      new InetSocketAddress("127.0.0.1", taken.getLocalPort()), state::get))
          .isInstanceOf(StartupException.class)
          .hasMessageStartingWith(
              "Cannot serve health probes on 127.0.0.1:" + taken.getLocalPort() + ": ");
    }
  }
}
