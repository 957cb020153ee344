package dev.spanlinks.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.app.replay.RecordFile;
import dev.spanlinks.app.replay.RecordLine;
import dev.spanlinks.streams.trace.internals.BatchIds;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code replay} on a small file: batches per partition, ids, links, and bad input. */
class ReplayCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return StreamsMain.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  private static RecordLine order(int n, int partition, String key, String createdAt) {
    String value =
        "{\"orderId\":\"o-"
            + n
            + "\",\"amount\":1.50,\"currency\":\"EUR\",\"createdAt\":\""
            + createdAt
            + "\"}";
    String traceparent = String.format(Locale.ROOT, "00-%032x-%016x-01", 0x100 + n, 0x200 + n);
    return new RecordLine(
        "orders",
        partition,
        (long) n,
        Instant.parse(createdAt).toEpochMilli(),
        key.getBytes(StandardCharsets.UTF_8),
        value.getBytes(StandardCharsets.UTF_8),
        List.of(
            new RecordLine.Header("traceparent", traceparent.getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void shouldReplayEachPartitionAsItsOwnTaskAndCloseEveryWindow() throws Exception {
    Path file = dir.resolve("orders.jsonl");
    try (RecordFile.Writer writer = RecordFile.create(file)) {
      // Partition 0 runs ahead to 12:xx first; partition 1's 10:xx orders must not be late, as
      // they are not live, where each partition is its own task with its own stream time.
      writer.write(order(1, 0, "eu", "2026-03-01T10:10:00Z"));
      writer.write(order(2, 0, "eu", "2026-03-01T12:10:00Z"));
      writer.write(order(3, 1, "us", "2026-03-01T10:20:00Z"));
      writer.write(order(4, 1, "us", "2026-03-01T10:30:00Z"));
    }
    Path spans = dir.resolve("spans.jsonl");
    Path batches = dir.resolve("batches.jsonl");

    int exit =
        run(
            "replay",
            "--file",
            file.toString(),
            "--application-id",
            "app-1",
            "--spans",
            spans.toString(),
            "--batches",
            batches.toString(),
            "--links",
            "--quiet");

    assertThat(exit).as(err.toString()).isZero();
    String eu10 =
        new BatchIds("app-1", "eu", Instant.parse("2026-03-01T10:00:00Z").toEpochMilli(), 0)
            .traceId();
    String us10 =
        // Read from partition 1, as live: the replay derives its ids from the live partition.
        new BatchIds("app-1", "us", Instant.parse("2026-03-01T10:00:00Z").toEpochMilli(), 1)
            .traceId();
    assertThat(out.toString())
        .contains(
            "batch eu 2026-03-01T10:00:00Z..2026-03-01T11:00:00Z orders=1 linked=1 unlinked=0",
            "batch eu 2026-03-01T12:00:00Z..2026-03-01T13:00:00Z orders=1",
            "batch us 2026-03-01T10:00:00Z..2026-03-01T11:00:00Z orders=2 linked=2",
            "trace=" + eu10,
            "trace=" + us10,
            "  link " + String.format(Locale.ROOT, "%032x-%016x", 0x103, 0x203));
    assertThat(err.toString())
        .contains("replayed 4 records (2 partitions): 3 batches, 0 late, 0 dead-lettered");
    List<RecordLine> written = new ArrayList<>();
    RecordFile.forEach(batches, written::add);
    assertThat(written).hasSize(3);
    assertThat(Files.readString(spans)).contains(us10.toLowerCase(Locale.ROOT), "process orders");
  }

  @Test
  void shouldReplayAtFullSpeedAndCountTheSpansWhenNoCollectorListens() throws Exception {
    Path file = dir.resolve("orders.jsonl");
    int hours = 30;
    try (RecordFile.Writer writer = RecordFile.create(file)) {
      for (int n = 0; n < hours; n++) {
        writer.write(
            order(
                n,
                0,
                "eu",
                Instant.parse("2026-03-01T00:10:00Z").plusSeconds(3600L * n).toString()));
      }
    }
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    java.util.Map<String, String> otlp =
        java.util.Map.of(
            "otel.traces.exporter", "otlp",
            "otel.metrics.exporter", "none",
            "otel.logs.exporter", "none",
            "otel.exporter.otlp.protocol", "http/protobuf",
            "otel.exporter.otlp.endpoint", "http://127.0.0.1:" + closedPort);
    otlp.forEach(System::setProperty);
    int exit;
    try {
      exit = run("replay", "--file", file.toString(), "--quiet");
    } finally {
      otlp.keySet().forEach(System::clearProperty);
    }

    assertThat(exit).as(err.toString()).isZero();
    // Every close waited for its spans once per batch: 30 exports refused. Only the first is
    // tried; the rest are counted without a connection, and the summary says how many.
    assertThat(err.toString())
        .contains(
            "replayed 30 records (1 partitions): 30 batches, 0 late, 0 dead-lettered",
            "; 30 spans not delivered (the span exporter failed: see the warning above)");
  }

  @Test
  void shouldNameTheLineOfMalformedInputWithoutAStackTrace() throws Exception {
    Path file = dir.resolve("bad.jsonl");
    try (RecordFile.Writer writer = RecordFile.create(file)) {
      writer.write(order(1, 0, "eu", "2026-03-01T10:10:00Z"));
    }
    Files.writeString(
        file,
        "{\"timestamp\":\"never\",\"value\":null}\n",
        java.nio.file.StandardOpenOption.APPEND);

    assertThat(run("replay", "--file", file.toString(), "--quiet")).isEqualTo(1);
    assertThat(err.toString().strip())
        .isEqualTo(
            "spanlinks: "
                + file
                + " line 2: \"timestamp\" must be an ISO-8601 instant or epoch milliseconds, not"
                + " \"never\"");
    assertThat(
            run(
                "import",
                "--file",
                file.toString(),
                "--topic",
                "t",
                "--bootstrap-servers",
                "127.0.0.1:1",
                "--quiet"))
        .isEqualTo(1);
    assertThat(err.toString()).contains(file + " line 2: ").doesNotContain("\tat ");
  }

  @Test
  void shouldRejectABadShiftTarget() throws Exception {
    Path file = Files.writeString(dir.resolve("empty.jsonl"), "");
    assertThat(run("import", "--file", file.toString(), "--topic", "t", "--shift-to", "tomorrow"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--shift-to must be 'now' or an ISO-8601 instant");
  }

  @Test
  void shouldDrawAProgressLineWithRateAndEta() {
    ProgressBar bar = new ProgressBar(new PrintWriter(new StringWriter()), "import", false);
    bar.total(1000);
    bar.advance(250);
    String line = bar.line(System.nanoTime());
    assertThat(line)
        .startsWith("import [######..................] 250/1,000  25%")
        .contains("rec/s", "ETA ");
    assertThat(ProgressBar.clock(3725)).isEqualTo("1:02:05");
    assertThat(ProgressBar.clock(65)).isEqualTo("1:05");
  }
}
