package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.StringSerializer;

/** Small helpers the integration tests share. */
final class ItSupport {
  static final Path STREAMS_JAR = Path.of("..", "streams-app", "target", "streams-app.jar");
  static final Path DEMO_JAR = Path.of("..", "producer-demo", "target", "producer-demo.jar");
  private static final HexFormat HEX = HexFormat.of();

  private ItSupport() {}

  /** {@code traceId/spanId} in hex, from OTLP's raw id bytes. */
  static String ids(byte[] traceId, byte[] spanId) {
    return HEX.formatHex(traceId) + "/" + HEX.formatHex(spanId);
  }

  static String header(Headers headers, String key) {
    Header header = headers.lastHeader(key);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  /** A plain producer of string keys and values, as any client of the orders topic. */
  static KafkaProducer<String, String> stringProducer(String bootstrapServers) {
    return new KafkaProducer<>(
        Map.of("bootstrap.servers", bootstrapServers),
        new StringSerializer(),
        new StringSerializer());
  }

  private static final Pattern PRODUCED =
      Pattern.compile("produced ([\\d,]+) orders to \\S+: ([\\d,]+) invalid");

  /**
   * Runs {@code producer-demo.jar produce} as users do: {@code count} orders at 400/s from {@code
   * start}, three simulated hours a second, 5% invalid, 5% without trace context. Waits for a clean
   * exit; returns how many orders it made invalid.
   */
  static int produceDemoOrders(
      String bootstrapServers,
      String topic,
      int count,
      Instant start,
      int seed,
      Map<String, String> env,
      Path log)
      throws Exception {
    ChildJvm producer =
        ChildJvm.start(
            DEMO_JAR,
            List.of(
                "produce",
                "--bootstrap-servers",
                bootstrapServers,
                "--topic",
                topic,
                "--count",
                Integer.toString(count),
                "--rate",
                "400",
                "--start",
                start.toString(),
                "--speed",
                "10800",
                "--invalid-ratio",
                "0.05",
                "--untraced-ratio",
                "0.05",
                "--seed",
                Integer.toString(seed)),
            env,
            log);
    assertThat(producer.awaitExit(60)).as(producer.output()).isZero();
    Matcher produced = PRODUCED.matcher(producer.output());
    assertThat(produced.find()).as(producer.output()).isTrue();
    return Integer.parseInt(produced.group(2).replace(",", ""));
  }

  /**
   * The OTEL_* variables of a child JVM whose spans go to {@code receiver} over OTLP/HTTP, sent
   * within 100 ms of ending; no metrics or logs.
   */
  static Map<String, String> spansTo(OtlpReceiver receiver) {
    return Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.httpEndpoint(),
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
        "OTEL_BSP_SCHEDULE_DELAY", "100",
        "OTEL_METRICS_EXPORTER", "none",
        "OTEL_LOGS_EXPORTER", "none");
  }

  /** Where child JVM logs go, kept after the run for a failing test's reader. */
  static Path logs() throws IOException {
    return Files.createDirectories(Path.of("target", "it-logs"));
  }

  /**
   * A streams-app config file for one test: its own application id and topics ({@code orders-ID},
   * {@code batches-ID}, {@code late-ID}, {@code dlq-ID}), quick idle close.
   */
  static Path streamsConfig(Path dir, String bootstrapServers, String id, Map<String, String> extra)
      throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("bootstrap.servers=" + bootstrapServers);
    lines.add("application.id=" + id);
    lines.add("state.dir=" + dir.resolve("state"));
    lines.add("commit.interval.ms=200");
    lines.add("spanlinks.orders.topic=orders-" + id);
    lines.add("spanlinks.batches.topic=batches-" + id);
    lines.add("spanlinks.late.topic=late-" + id);
    lines.add("errors.dead.letter.queue.topic.name=dlq-" + id);
    if (!extra.containsKey("spanlinks.idle.close.ms")) {
      lines.add("spanlinks.idle.close.ms=2000");
    }
    lines.add("spanlinks.close.check.interval.ms=200");
    extra.forEach((key, value) -> lines.add(key + "=" + value));
    return Files.writeString(dir.resolve("spanlinks.properties"), String.join("\n", lines) + "\n");
  }

  /** A loopback port nothing listens on (now): for a child JVM's endpoint, or a closed one. */
  static int freePort() throws IOException {
    try (java.net.ServerSocket socket =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
