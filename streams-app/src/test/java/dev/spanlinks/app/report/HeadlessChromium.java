package dev.spanlinks.app.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real headless Chromium (Debian's {@code chromium}), driven over the Chrome DevTools Protocol:
 * navigate, evaluate script, click with real mouse events at an element's position, screenshot.
 */
final class HeadlessChromium implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final WebSocket socket;
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();
  private final StringBuilder partial = new StringBuilder();

  private HeadlessChromium(Process process, WebSocket socket) {
    this.process = process;
    this.socket = socket;
  }

  static boolean installed() {
    return Files.isExecutable(Path.of("/usr/bin/chromium"));
  }

  static HeadlessChromium start(Path profile) throws Exception {
    Process process =
        new ProcessBuilder(
                "/usr/bin/chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--user-data-dir=" + profile,
                "--remote-debugging-port=0",
                "--window-size=1440,900",
                "about:blank")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    Path portFile = profile.resolve("DevToolsActivePort");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(portFile) || Files.readString(portFile).isBlank()) {
      if (System.nanoTime() > deadline || !process.isAlive()) {
        process.destroyForcibly();
        throw new IllegalStateException("Chromium did not open its DevTools port");
      }
      Thread.sleep(100);
    }
    String port = Files.readAllLines(portFile).get(0).trim();
    HttpClient http = HttpClient.newHttpClient();
    JsonNode targets =
        JSON.readTree(
            http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    String url = null;
    for (JsonNode target : targets) {
      if (target.path("type").asText().equals("page")) {
        url = target.path("webSocketDebuggerUrl").asText();
      }
    }
    if (url == null) {
      process.destroyForcibly();
      throw new IllegalStateException("Chromium has no page target");
    }
    HeadlessChromium[] self = new HeadlessChromium[1];
    WebSocket socket =
        http.newWebSocketBuilder()
            .buildAsync(
                URI.create(url),
                new WebSocket.Listener() {
                  @Override
                  public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                    self[0].receive(data, last);
                    ws.request(1);
                    return null;
                  }
                })
            .get(30, TimeUnit.SECONDS);
    self[0] = new HeadlessChromium(process, socket);
    return self[0];
  }

  private void receive(CharSequence data, boolean last) {
    partial.append(data);
    if (!last) {
      return;
    }
    try {
      JsonNode message = JSON.readTree(partial.toString());
      partial.setLength(0);
      if (message.has("id")) {
        CompletableFuture<JsonNode> future = pending.remove(message.get("id").asInt());
        if (future != null) {
          future.complete(message);
        }
      }
    } catch (IOException e) {
      partial.setLength(0);
    }
  }

  JsonNode call(String method, Map<String, Object> params) throws Exception {
    int id = ids.incrementAndGet();
    ObjectNode message = JSON.createObjectNode();
    message.put("id", id).put("method", method).set("params", JSON.valueToTree(params));
    CompletableFuture<JsonNode> future = new CompletableFuture<>();
    pending.put(id, future);
    socket.sendText(JSON.writeValueAsString(message), true).get(30, TimeUnit.SECONDS);
    JsonNode reply = future.get(60, TimeUnit.SECONDS);
    if (reply.has("error")) {
      throw new IllegalStateException(method + ": " + reply.get("error"));
    }
    return reply.path("result");
  }

  void open(Path page) throws Exception {
    call("Page.navigate", Map.of("url", page.toUri().toString()));
  }

  /** The value of a JavaScript expression, as JSON. */
  JsonNode eval(String expression) throws Exception {
    JsonNode result =
        call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true));
    if (result.has("exceptionDetails")) {
      throw new IllegalStateException(expression + ": " + result.get("exceptionDetails"));
    }
    return result.path("result").path("value");
  }

  /** Waits for an expression to be true. */
  void await(String condition, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!eval("Boolean(" + condition + ")").asBoolean(false)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Never true in the browser: " + condition);
      }
      Thread.sleep(100);
    }
  }

  /** A real click (mouse pressed and released) at the centre of the first matching element. */
  void click(String selector) throws Exception {
    JsonNode box =
        eval(
            "(() => { const e = document.querySelector('"
                + selector
                + "');"
                + " e.scrollIntoView({block: 'center', inline: 'center'});"
                + " const r = e.getBoundingClientRect();"
                + " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()");
    for (String type : new String[] {"mousePressed", "mouseReleased"}) {
      call(
          "Input.dispatchMouseEvent",
          Map.of(
              "type",
              type,
              "x",
              box.get("x").asDouble(),
              "y",
              box.get("y").asDouble(),
              "button",
              "left",
              "clickCount",
              1));
    }
  }

  void screenshot(Path file) throws Exception {
    JsonNode shot = call("Page.captureScreenshot", Map.of("format", "png"));
    Files.write(file, Base64.getDecoder().decode(shot.get("data").asText()));
  }

  @Override
  public void close() {
    socket.abort();
    // Wait for Chromium and its helpers to let go of the profile directory before it is deleted.
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    try {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
