package dev.spanlinks.example;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.BatchedRecord;
import dev.spanlinks.streams.LinkedBatch;
import dev.spanlinks.streams.LinkedWindows;
import dev.spanlinks.streams.SpanlinksTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reader's own link attributes: every supported type reaches the link as it was given (after the
 * window's state kept it), and a record whose attributes pass the limits goes to the dead-letter
 * topic instead of growing the state.
 */
class LinkAttributeLimitsTest {
  private static final BatchConfig CONFIG =
      new BatchConfig(Map.of("application.id", "limits", "bootstrap.servers", "unused:9092"));

  @TempDir Path stateDir;

  /** Values are "id,kind"; the kind chooses the attributes the reader gives. */
  private static BatchedRecord read(String key, String value, long timestamp) {
    String[] fields = value.split(",", -1);
    String id = fields[0];
    Attributes attributes =
        switch (fields[1]) {
          case "typed" ->
              Attributes.builder()
                  .put("item.sku", "sku-" + id)
                  .put("item.gift", true)
                  .put("item.count", 3L)
                  .put("item.weight", 1.25)
                  .build();
          case "too-many" -> {
            AttributesBuilder many = Attributes.builder();
            for (int n = 0; n <= BatchedRecord.MAX_LINK_ATTRIBUTES; n++) {
              many.put("a" + n, n);
            }
            yield many.build();
          }
          case "array" -> Attributes.of(AttributeKey.stringArrayKey("tags"), List.of("a", "b"));
          case "long-value" ->
              Attributes.of(
                  AttributeKey.stringKey("note"), "x".repeat(BatchedRecord.MAX_VALUE_CHARS + 1));
          default -> Attributes.empty();
        };
    return BatchedRecord.of(id, key, null).withLinkAttributes(attributes);
  }

  @Test
  void shouldCarryEveryTypeToTheLinkAndDeadLetterRecordsPastTheLimits() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (OpenTelemetrySdk otel =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SpanlinksTelemetry.withBatchSupport(SdkTracerProvider.builder(), 1000)
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build()) {
      StreamsBuilder builder = new StreamsBuilder();
      LinkedWindows.Linked<String, String> linked =
          LinkedWindows.builder(otel)
              .link(
                  builder.stream("items", Consumed.with(Serdes.String(), Serdes.String())),
                  LinkAttributeLimitsTest::read);
      linked.batches().to("item-batches", Produced.with(Serdes.String(), LinkedBatch.jsonSerde()));
      Properties properties = CONFIG.streamsProperties(otel);
      properties.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
      properties.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
      try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), properties)) {
        TestInputTopic<String, String> in =
            driver.createInputTopic("items", new StringSerializer(), new StringSerializer());
        Instant ten = Instant.parse("2026-01-15T10:00:00Z");
        send(in, "i-1,typed", ten, 1);
        send(in, "i-2,too-many", ten, 2);
        send(in, "i-3,array", ten, 3);
        send(in, "i-4,long-value", ten, 4);
        send(in, "i-5,none", ten, 5);
        send(in, "i-6,none", ten.plusSeconds(7200), 6); // closes the 10:00 window

        List<LinkData> links =
            spans.getFinishedSpanItems().stream()
                .flatMap(span -> span.getLinks().stream())
                .toList();
        assertThat(links).hasSize(2);
        LinkData typed =
            links.stream()
                .filter(link -> link.getSpanContext().getTraceId().endsWith("01"))
                .findFirst()
                .orElseThrow();
        assertThat(typed.getAttributes().asMap())
            .containsEntry(AttributeKey.stringKey("item.sku"), "sku-i-1")
            .containsEntry(AttributeKey.booleanKey("item.gift"), true)
            .containsEntry(AttributeKey.longKey("item.count"), 3L)
            .containsEntry(AttributeKey.doubleKey("item.weight"), 1.25)
            .containsKey(AttributeKey.longKey("messaging.kafka.offset"));
        assertThat(
                driver
                    .createOutputTopic(
                        CONFIG.deadLetterTopic(),
                        new StringDeserializer(),
                        new StringDeserializer())
                    .readValuesToList())
            .containsExactly("i-2,too-many", "i-3,array", "i-4,long-value");
      }
    }
  }

  private static void send(TestInputTopic<String, String> in, String value, Instant at, int n) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(
        "traceparent", String.format("00-%032x-%016x-01", n, n).getBytes(StandardCharsets.UTF_8));
    in.pipeInput(new TestRecord<>("k", value, headers, at));
  }
}
