package dev.spanlinks.app.report;

import static dev.spanlinks.app.orders.TestOrder.traced;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.spanlinks.app.OtlpJsonFileSpanExporter;
import dev.spanlinks.app.orders.TestOrder;
import dev.spanlinks.app.orders.TopologyFixture;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import dev.spanlinks.streams.trace.internals.BatchIds;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The link map in a real headless Chromium: what it draws matches the spans, a click on a batch
 * shows its span and orders, a click on an order shows the batch that took it; and a 100,000-order
 * file stays quick to render and reasonably small.
 */
class LinkMapBrowserIT {
  private static final String TRACE_URL = "http://localhost:16686/trace/{traceId}";

  @TempDir Path dir;

  @Test
  void shouldDrawBatchesAndLinksAndAnswerClicks() throws Exception {
    assumeChromium();
    Path spans = dir.resolve("spans.jsonl");
    List<TestOrder> sent = new ArrayList<>();
    // Event times and order ids on the links, for the map to place and name each order.
    try (TopologyFixture fixture =
        new TopologyFixture(dir.resolve("state"), Map.of("spanlinks.link.attributes", "all"))) {
      for (int n = 0; n < 12; n++) {
        TestOrder order =
            traced(n)
                .key(n % 2 == 0 ? "eu" : "us")
                .at(Instant.parse("2026-01-15T10:00:00Z").plusSeconds(600L * n));
        sent.add(order);
        fixture.send(order);
      }
      fixture.send(traced(99).key("eu").at("2026-01-15T13:00:00Z"));
      fixture.send(traced(98).key("us").at("2026-01-15T13:00:00Z"));
      // A traced order that no batch linked, as the producer exported it.
      Span send =
          fixture
              .openTelemetry
              .getTracer("test")
              .spanBuilder("send orders")
              .setSpanKind(SpanKind.PRODUCER)
              .setAttribute(SpanlinksAttributes.ORDER_ID, "lost-order")
              .setAttribute(SpanlinksAttributes.ORDER_EVENT_TIME, "2026-01-15T10:30:00Z")
              .setAttribute("messaging.kafka.message.key", "eu")
              .startSpan();
      send.end();
      OtlpJsonFileSpanExporter file = new OtlpJsonFileSpanExporter(spans);
      file.export(fixture.finishedSpans());
      file.closeFile();
    }
    Path page = LinkMapReport.write(spans, dir, TRACE_URL);

    try (HeadlessChromium chromium = HeadlessChromium.start(dir.resolve("profile"))) {
      chromium.open(page);
      chromium.await("window.__linkMap && window.__linkMap.rendered", Duration.ofSeconds(30));
      // 10:00-11:00 and 11:00-12:00 for eu and us; the 12:00 window is still open.
      assertThat(chromium.eval("window.__linkMap.batches").asInt()).isEqualTo(4);
      assertThat(chromium.eval("window.__linkMap.links").asInt()).isEqualTo(12);
      assertThat(chromium.eval("window.__linkMap.unbatched").asInt()).isEqualTo(1);
      assertThat(chromium.eval("document.querySelectorAll('.batch').length").asInt()).isEqualTo(4);
      assertThat(chromium.eval("document.querySelectorAll('.mark.unbatched').length").asInt())
          .isEqualTo(1);
      // Every hour on the time axis, the last one at the chart's right edge included, is drawn
      // whole inside the chart: none cut off ("12:0").
      assertThat(
              chromium
                  .eval(
                      "[...document.querySelectorAll('#chart text.axis')].map(t =>"
                          + " t.textContent)")
                  .toString())
          .isEqualTo("[\"10:00\",\"11:00\",\"12:00\"]");
      assertThat(
              chromium
                  .eval(
                      "(() => { const chart = document.getElementById('chart').getBoundingClientRect();"
                          + " return [...document.querySelectorAll('#chart text.axis')]"
                          + ".map(t => t.getBoundingClientRect())"
                          + ".filter(r => r.width === 0 || r.left < chart.left || r.right > chart.right"
                          + " || r.right > document.documentElement.clientWidth).length; })()")
                  .asInt())
          .as("time labels outside the chart or the page")
          .isZero();

      String euTrace =
          new BatchIds(
                  TopologyFixture.APPLICATION_ID,
                  "eu",
                  Instant.parse("2026-01-15T10:00:00Z").toEpochMilli(),
                  0)
              .traceId();
      chromium.click("[data-batch=\"0\"] rect.window");
      chromium.await("document.getElementById('batch-title')", Duration.ofSeconds(5));
      assertThat(chromium.eval("document.getElementById('details').innerText").asText())
          .contains("eu", "2026-01-15T10:00:00Z", euTrace, "order-0", "order-2", "order-4")
          .doesNotContain("order-1");
      assertThat(chromium.eval("document.querySelector('#details a').href").asText())
          .isEqualTo("http://localhost:16686/trace/" + euTrace);

      chromium.click("#details button[data-order]");
      chromium.await("document.getElementById('order-title')", Duration.ofSeconds(5));
      assertThat(chromium.eval("document.getElementById('order-batch').innerText").asText())
          .isEqualTo("eu 2026-01-15T10:00:00Z");

      chromium.click(".mark.unbatched");
      chromium.await("document.getElementById('order-title')", Duration.ofSeconds(5));
      assertThat(chromium.eval("document.getElementById('details').innerText").asText())
          .contains("lost-order", "none: late, dead-lettered");

      chromium.click("[data-batch=\"0\"] rect.window");
      Path screenshot = Path.of("target", "link-map.png");
      chromium.screenshot(screenshot);
      assertThat(Files.size(screenshot)).isGreaterThan(10_000);
    }
  }

  @Test
  void shouldRenderAHundredThousandOrdersQuicklyInAReasonablePage() throws Exception {
    assumeChromium();
    Path spans = dir.resolve("large.jsonl");
    OtlpJsonFileSpanExporter file = new OtlpJsonFileSpanExporter(spans);
    try (OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
                    .setSpanLimits(
                        io.opentelemetry.sdk.trace.SpanLimits.builder()
                            .setMaxNumberOfLinks(1000)
                            .build())
                    .addSpanProcessor(
                        BatchSpanProcessor.builder(file).setMaxExportBatchSize(16).build())
                    .build())
            .build()) {
      Tracer tracer = sdk.getTracer("test");
      Instant start = Instant.parse("2026-01-15T00:00:00Z");
      for (int b = 0; b < 100; b++) {
        Instant window = start.plus(Duration.ofHours(b / 4));
        var builder =
            tracer
                .spanBuilder("process orders")
                .setNoParent()
                .setAttribute(SpanlinksAttributes.BATCH_KEY, "key-" + (b % 4))
                .setAttribute(SpanlinksAttributes.WINDOW_START, window.toString())
                .setAttribute(
                    SpanlinksAttributes.WINDOW_END, window.plus(Duration.ofHours(1)).toString())
                .setAttribute("messaging.batch.message_count", 1000L)
                .setAttribute(SpanlinksAttributes.ORDERS_LINKED, 1000L);
        for (int n = 0; n < 1000; n++) {
          int order = b * 1000 + n;
          builder.addLink(
              SpanContext.createFromRemoteParent(
                  String.format(Locale.ROOT, "%032x", order + 1),
                      String.format(Locale.ROOT, "%016x", order + 1),
                  TraceFlags.getSampled(), TraceState.getDefault()),
              Attributes.of(
                  SpanlinksAttributes.ORDER_ID,
                  "order-" + order,
                  SpanlinksAttributes.ORDER_EVENT_TIME,
                  window.plusMillis(3600L * n).toString()));
        }
        builder.startSpan().end();
      }
      sdk.getSdkTracerProvider().forceFlush().join(30, TimeUnit.SECONDS);
    }
    file.closeFile();
    Path page = LinkMapReport.write(spans, dir, null);
    long pageBytes = Files.size(page);
    assertThat(pageBytes).as("page size").isLessThan(12L * 1024 * 1024);

    try (HeadlessChromium chromium = HeadlessChromium.start(dir.resolve("profile-large"))) {
      long started = System.nanoTime();
      chromium.open(page);
      chromium.await("window.__linkMap && window.__linkMap.rendered", Duration.ofSeconds(30));
      long millis = (System.nanoTime() - started) / 1_000_000;
      assertThat(chromium.eval("window.__linkMap.links").asInt()).isEqualTo(100_000);
      assertThat(chromium.eval("window.__linkMap.marks").asInt()).isLessThan(20_000);
      System.out.printf(
          "link map of 100,000 orders: %,d bytes, rendered in %,d ms%n", pageBytes, millis);
      assertThat(millis).as("render time in ms").isLessThan(10_000);
    }
  }

  private static void assumeChromium() {
    // CI installs Chromium (.ci/run); elsewhere the test says why it did not run.
    assumeTrue(
        HeadlessChromium.installed() || "true".equals(System.getenv("CI")),
        "Chromium is not installed (apt-get install chromium)");
  }
}
