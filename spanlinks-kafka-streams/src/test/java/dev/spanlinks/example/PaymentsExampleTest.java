package dev.spanlinks.example;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.BatchedRecord;
import dev.spanlinks.streams.LinkedWindows;
import dev.spanlinks.streams.model.InvalidOrderException;
import dev.spanlinks.streams.model.OrderBatch;
import dev.spanlinks.streams.model.OrderSerdes;
import dev.spanlinks.streams.trace.SpanlinksTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's example of spanlinks in a topology of one's own: payments (not spanlinks' orders),
 * an aggregation of the user's own (payments per region and hour), and spanlinks added in a few
 * lines through {@link LinkedWindows}. From outside spanlinks' packages, so only its public API.
 */
class PaymentsExampleTest {
  /** The user's own record type. */
  record Payment(String id, String region, BigDecimal amount, Instant paidAt) {}

  /** The user's own serde: "id,region,amount,paidAt". */
  static final Serde<Payment> PAYMENTS =
      Serdes.serdeFrom(
          (topic, p) ->
              String.join(
                      ",", p.id(), p.region(), p.amount().toPlainString(), p.paidAt().toString())
                  .getBytes(StandardCharsets.UTF_8),
          (topic, bytes) -> {
            String[] f = new String(bytes, StandardCharsets.UTF_8).split(",", -1);
            return f.length != 4
                ? null
                : new Payment(f[0], f[1], new BigDecimal(f[2]), Instant.parse(f[3]));
          });

  private static final BatchConfig CONFIG =
      new BatchConfig(Map.of("application.id", "payments", "bootstrap.servers", "unused:9092"));

  @TempDir Path stateDir;

  @Test
  void shouldAddLinkedBatchSpansToATopologyOfOnesOwn() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (OpenTelemetrySdk otel = sdk(spans)) {
      // --- the user's topology ---
      StreamsBuilder builder = new StreamsBuilder();
      KStream<String, Payment> payments =
          builder.stream("payments", Consumed.with(Serdes.String(), PAYMENTS));
      payments
          .groupByKey()
          .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofHours(1)))
          .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("payments-per-hour"))
          .toStream(Named.as("payments-per-hour-out"))
          .map((window, count) -> KeyValue.pair(window.key(), count), Named.as("unwindow"))
          .to("payment-counts", Produced.with(Serdes.String(), Serdes.Long()));

      // --- spanlinks, in a few lines ---
      LinkedWindows.Streams linked =
          LinkedWindows.link(payments, PaymentsExampleTest::read, CONFIG, otel);
      linked
          .batches()
          .to(
              "payment-batches",
              Produced.with(
                  Serdes.String(),
                  Serdes.serdeFrom(
                      OrderSerdes.orderBatchSerializer(), OrderSerdes.orderBatchDeserializer())));
      linked
          .late()
          .to(
              "payments-late",
              Produced.with(
                  Serdes.String(),
                  Serdes.serdeFrom(
                      OrderSerdes.orderSerializer(), OrderSerdes.orderDeserializer())));

      driveAndCheck(builder.build(), otel, spans, true);
    }
  }

  @Test
  void shouldAddLinkedBatchSpansInTheProcessorApi() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (OpenTelemetrySdk otel = sdk(spans)) {
      Topology topology = new Topology();
      topology.addSource(
          "payments-source", new StringDeserializer(), PAYMENTS.deserializer(), "payments");
      String linked =
          LinkedWindows.addTo(topology, PaymentsExampleTest::read, CONFIG, otel, "payments-source");
      topology.addProcessor("route-by-type", RouteByType::new, linked);
      topology.addSink(
          "batches-sink",
          "payment-batches",
          new StringSerializer(),
          OrderSerdes.orderBatchSerializer(),
          "route-by-type");
      topology.addSink(
          "late-sink",
          "payments-late",
          new StringSerializer(),
          OrderSerdes.orderSerializer(),
          "route-by-type");

      driveAndCheck(topology, otel, spans, false);
    }
  }

  /** The user's reader: id, batch key, event time and the summed amount of a payment. */
  private static BatchedRecord read(String region, Payment payment, long timestamp) {
    if (payment == null) {
      throw new InvalidOrderException("not a payment");
    }
    return new BatchedRecord(payment.id(), region, payment.paidAt(), "amount", payment.amount())
        .withLinkAttributes(Attributes.of(PAYMENT_ID, payment.id()));
  }

  /** The user's own attribute on each payment's link. */
  static final AttributeKey<String> PAYMENT_ID = AttributeKey.stringKey("payment.id");

  /** A Processor API user's own step: batches to one sink, late payments to the other. */
  private static final class RouteByType
      extends ContextualProcessor<String, Object, String, Object> {
    @Override
    public void process(Record<String, Object> record) {
      context()
          .forward(record, record.value() instanceof OrderBatch ? "batches-sink" : "late-sink");
    }
  }

  private static OpenTelemetrySdk sdk(InMemorySpanExporter spans) {
    return OpenTelemetrySdk.builder()
        .setTracerProvider(
            SpanlinksTelemetry.withBatchSupport(SdkTracerProvider.builder(), CONFIG.linksPerSpan())
                .addSpanProcessor(SimpleSpanProcessor.create(spans))
                .build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }

  /**
   * Sends 20 traced payments over two regions (one of them twice), a malformed one, one that closes
   * the hour and one too late; checks the batches, the links, the late and the dead-letter topic.
   */
  private void driveAndCheck(
      Topology topology, OpenTelemetrySdk otel, InMemorySpanExporter spans, boolean userCount) {
    BatchConfig config = CONFIG;
    Properties properties = config.streamsProperties(otel);
    properties.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    // The test driver has no transactions (see TopologyFixture).
    properties.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    try (TopologyTestDriver driver = new TopologyTestDriver(topology, properties)) {
      TestInputTopic<String, Payment> in =
          driver.createInputTopic("payments", new StringSerializer(), PAYMENTS.serializer());
      Instant ten = Instant.parse("2026-01-15T10:00:00Z");
      List<String> traced = new ArrayList<>();
      Map<String, String> paymentOfTrace = new HashMap<>();
      for (int n = 0; n < 20; n++) {
        String region = n % 2 == 0 ? "eu" : "us";
        Payment payment =
            new Payment("p-" + n, region, new BigDecimal("2.50"), ten.plusSeconds(60L * n));
        String traceId = String.format("%032x", 0x500 + n);
        RecordHeaders headers = new RecordHeaders();
        headers.add(
            "traceparent",
            ("00-" + traceId + "-" + String.format("%016x", 0x600 + n) + "-01")
                .getBytes(StandardCharsets.UTF_8));
        in.pipeInput(new TestRecord<>(region, payment, headers, payment.paidAt()));
        traced.add(traceId);
        paymentOfTrace.put(traceId, payment.id());
        if (n == 3) {
          in.pipeInput(new TestRecord<>(region, payment, headers, payment.paidAt())); // again
        }
      }
      // Not a payment: the user's deserializer gives null, the reader refuses it.
      driver
          .createInputTopic("payments", new StringSerializer(), new StringSerializer())
          .pipeInput("eu", "garbage", ten);
      // Two hours later: the 10:00 windows close; then one from 10:30, too late.
      in.pipeInput("eu", new Payment("p-closer", "eu", BigDecimal.ONE, ten.plusSeconds(7200)));
      in.pipeInput("eu", new Payment("p-late", "eu", BigDecimal.ONE, ten.plusSeconds(1800)));

      TestOutputTopic<String, OrderBatch> batches =
          driver.createOutputTopic(
              "payment-batches", new StringDeserializer(), OrderSerdes.orderBatchDeserializer());
      List<OrderBatch> closed = batches.readValuesToList();
      assertThat(closed).extracting(OrderBatch::batchKey).containsExactlyInAnyOrder("eu", "us");
      assertThat(closed).allSatisfy(batch -> assertThat(batch.orderCount()).isEqualTo(10));
      assertThat(closed)
          .allSatisfy(
              batch -> assertThat(batch.totals().get("amount")).isEqualByComparingTo("25.00"));
      assertThat(
              spans.getFinishedSpanItems().stream()
                  .flatMap(span -> span.getLinks().stream())
                  .map(LinkData::getSpanContext)
                  .map(context -> context.getTraceId()))
          .as("every payment linked once, the redelivered one too")
          .containsExactlyInAnyOrderElementsOf(traced);
      assertThat(spans.getFinishedSpanItems().stream().flatMap(span -> span.getLinks().stream()))
          .as("each link carries the reader's attribute, from the state its window kept")
          .allSatisfy(
              link ->
                  assertThat(link.getAttributes().get(PAYMENT_ID))
                      .isEqualTo(paymentOfTrace.get(link.getSpanContext().getTraceId())));
      assertThat(
              driver
                  .createOutputTopic(
                      config.deadLetterTopic(), new StringDeserializer(), new StringDeserializer())
                  .readValuesToList())
          .containsExactly("garbage");
      assertThat(
              driver
                  .createOutputTopic(
                      "payments-late", new StringDeserializer(), new StringDeserializer())
                  .readValuesToList())
          .singleElement()
          .asString()
          .contains("p-late");
      if (userCount) {
        assertThat(
                driver
                    .createOutputTopic(
                        "payment-counts", new StringDeserializer(), Serdes.Long().deserializer())
                    .readKeyValuesToMap())
            .as("the user's own count, untouched: it counts the redelivered payment twice")
            .containsEntry("us", 11L);
      }
    }
  }
}
