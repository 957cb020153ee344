package com.example.payments;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.BatchedRecord;
import dev.spanlinks.streams.DeadLetterHandler;
import dev.spanlinks.streams.DeferredRejection;
import dev.spanlinks.streams.LinkedBatch;
import dev.spanlinks.streams.LinkedWindows;
import dev.spanlinks.streams.RejectedRecordException;
import dev.spanlinks.streams.SpanlinksTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
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
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.FailOnInvalidTimestamp;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's example of spanlinks in a topology of one's own, from a package that is not
 * spanlinks', so through its exported API only: payments and refunds (records of the user's own
 * types, not spanlinks' orders), an aggregation of the user's own, and two linked streams in one
 * topology, each added in a few lines through {@link LinkedWindows}.
 */
class PaymentsExampleTest {
  /** The user's own record types. */
  record Payment(String id, String region, BigDecimal amount, Instant paidAt) {}

  record Refund(String paymentId, String reason) {}

  /** The user's own serdes: "id,region,amount,paidAt" and "paymentId,reason". */
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

  static final Serde<Refund> REFUNDS =
      Serdes.serdeFrom(
          (topic, r) -> (r.paymentId() + "," + r.reason()).getBytes(StandardCharsets.UTF_8),
          (topic, bytes) -> {
            String[] f = new String(bytes, StandardCharsets.UTF_8).split(",", -1);
            return new Refund(f[0], f[1]);
          });

  /** The user's own attribute on each payment's link. */
  static final AttributeKey<String> PAYMENT_ID = AttributeKey.stringKey("payment.id");

  private static final BatchConfig CONFIG =
      new BatchConfig(Map.of("application.id", "payments", "bootstrap.servers", "unused:9092"));

  private static final Instant TEN = Instant.parse("2026-01-15T10:00:00Z");

  @TempDir Path stateDir;

  @Test
  void shouldLinkTwoStreamsOfTheUsersOwnTypesInOneTopology() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (OpenTelemetrySdk otel = sdk(spans)) {
      // --- the user's topology ---
      StreamsBuilder builder = new StreamsBuilder();
      KStream<String, Payment> payments =
          builder.stream(
              "payments",
              // A payment the serde refuses is dead-lettered once, even under exactly-once.
              DeferredRejection.consumed(Serdes.String(), PAYMENTS, new FailOnInvalidTimestamp()));
      payments
          .groupByKey()
          .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofHours(1)))
          .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("payments-per-hour"))
          .toStream(Named.as("payments-per-hour-out"))
          .map((window, count) -> KeyValue.pair(window.key(), count), Named.as("unwindow"))
          .to("payment-counts", Produced.with(Serdes.String(), Serdes.Long()));
      KStream<String, Refund> refunds =
          builder.stream("refunds", Consumed.with(Serdes.String(), REFUNDS));

      // --- spanlinks, in a few lines per stream ---
      LinkedWindows.Linked<String, Payment> linkedPayments =
          LinkedWindows.builder(otel)
              .size(Duration.ofHours(1))
              .named("payments")
              .link(payments, PaymentsExampleTest::read);
      linkedPayments
          .batches()
          .to("payment-batches", Produced.with(Serdes.String(), LinkedBatch.jsonSerde()));
      linkedPayments.late().to("payments-late", Produced.with(Serdes.String(), PAYMENTS));

      LinkedWindows.Linked<String, Refund> linkedRefunds =
          LinkedWindows.builder(otel)
              .size(Duration.ofHours(1))
              .named("refunds")
              .link(
                  refunds,
                  (region, refund, timestamp) ->
                      BatchedRecord.of("refund-" + refund.paymentId(), region, null));
      linkedRefunds
          .batches()
          .to("refund-batches", Produced.with(Serdes.String(), LinkedBatch.jsonSerde()));
      linkedRefunds.late().to("refunds-late", Produced.with(Serdes.String(), REFUNDS));

      Topology topology = builder.build();
      try (TopologyTestDriver driver = new TopologyTestDriver(topology, properties(otel))) {
        Sent sent = sendPayments(driver);
        TestInputTopic<String, Refund> refundsIn =
            driver.createInputTopic("refunds", new StringSerializer(), REFUNDS.serializer());
        for (int n = 0; n < 3; n++) {
          refundsIn.pipeInput(
              new TestRecord<>(
                  "eu",
                  new Refund("p-" + n, "broken"),
                  traceparent(0x900 + n),
                  TEN.plusSeconds(n)));
        }
        refundsIn.pipeInput("eu", new Refund("p-closer", "late"), TEN.plusSeconds(7200));

        List<LinkedBatch> paymentBatches =
            checkPayments(driver, spans, sent, "payment-batches", "payments-late");
        assertThat(
                driver
                    .createOutputTopic(
                        "payment-counts", new StringDeserializer(), Serdes.Long().deserializer())
                    .readKeyValuesToMap())
            .as("the user's own count, untouched: it counts the redelivered payment twice")
            .containsEntry("us", 11L);

        List<LinkedBatch> refundBatches = batches(driver, "refund-batches");
        assertThat(refundBatches)
            .singleElement()
            .satisfies(b -> assertThat(b.key()).isEqualTo("eu"));
        LinkedBatch refundBatch = refundBatches.get(0);
        assertThat(refundBatch.recordCount()).isEqualTo(3);
        assertThat(refundBatch.sums()).as("refunds sum nothing").isEmpty();
        LinkedBatch euPayments =
            paymentBatches.stream().filter(b -> b.key().equals("eu")).findFirst().orElseThrow();
        assertThat(refundBatch.windowStart()).isEqualTo(euPayments.windowStart());
        assertThat(refundBatch.traceId())
            .as("same key, same window, another linked stream: another batch span")
            .isNotEqualTo(euPayments.traceId());
        assertThat(linkedTraceIds(spans, refundBatch.traceId()))
            .containsExactlyInAnyOrder(
                String.format("%032x", 0x900),
                String.format("%032x", 0x901),
                String.format("%032x", 0x902));
      }
    }
  }

  @Test
  void shouldLinkInTheProcessorApi() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (OpenTelemetrySdk otel = sdk(spans)) {
      Topology topology = new Topology();
      topology.addSource(
          AutoOffsetReset.earliest(),
          "payments-source",
          DeferredRejection.timestampExtractor(new FailOnInvalidTimestamp()),
          new StringDeserializer(),
          DeferredRejection.deserializer(PAYMENTS.deserializer()),
          "payments");
      LinkedWindows.LinkedProcessors linked =
          LinkedWindows.builder(otel)
              .named("payments")
              .addTo(topology, PaymentsExampleTest::read, "payments-source");
      topology.addSink(
          "batches-sink",
          "payment-batches",
          new StringSerializer(),
          LinkedBatch.jsonSerde().serializer(),
          linked.batches());
      topology.addSink(
          "late-sink",
          "payments-late",
          new StringSerializer(),
          PAYMENTS.serializer(),
          linked.late());

      try (TopologyTestDriver driver = new TopologyTestDriver(topology, properties(otel))) {
        Sent sent = sendPayments(driver);
        checkPayments(driver, spans, sent, "payment-batches", "payments-late");
      }
    }
  }

  /** The user's reader: id, batch key, event time, the summed amount and a link attribute. */
  private static BatchedRecord read(String region, Payment payment, long timestamp) {
    if (payment == null) {
      throw new RejectedRecordException("not a payment");
    }
    return new BatchedRecord(payment.id(), region, payment.paidAt(), "amount", payment.amount())
        .withLinkAttributes(Attributes.of(PAYMENT_ID, payment.id()));
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

  private Properties properties(OpenTelemetrySdk otel) {
    Properties properties = CONFIG.streamsProperties(otel);
    properties.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    return properties;
  }

  private static RecordHeaders traceparent(int n) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(
        "traceparent",
        String.format("00-%032x-%016x-01", n, 0x600 + n).getBytes(StandardCharsets.UTF_8));
    return headers;
  }

  /** What {@link #sendPayments} sent: the traces, and which payment each came from. */
  private record Sent(List<String> traces, Map<String, String> paymentOfTrace) {}

  /**
   * Sends 20 traced payments over two regions (one of them twice), a malformed one, one that closes
   * the hour and one too late, traced.
   */
  private static Sent sendPayments(TopologyTestDriver driver) {
    TestInputTopic<String, Payment> in =
        driver.createInputTopic("payments", new StringSerializer(), PAYMENTS.serializer());
    List<String> traces = new ArrayList<>();
    Map<String, String> paymentOfTrace = new HashMap<>();
    for (int n = 0; n < 20; n++) {
      String region = n % 2 == 0 ? "eu" : "us";
      Payment payment =
          new Payment("p-" + n, region, new BigDecimal("2.50"), TEN.plusSeconds(60L * n));
      in.pipeInput(new TestRecord<>(region, payment, traceparent(0x500 + n), payment.paidAt()));
      traces.add(String.format("%032x", 0x500 + n));
      paymentOfTrace.put(String.format("%032x", 0x500 + n), payment.id());
      if (n == 3) {
        in.pipeInput(new TestRecord<>(region, payment, traceparent(0x500 + n), payment.paidAt()));
      }
    }
    // Not a payment: the user's deserializer gives null, the reader refuses it; then one it
    // fails on (an amount that is not a number).
    TestInputTopic<String, String> text =
        driver.createInputTopic("payments", new StringSerializer(), new StringSerializer());
    text.pipeInput("eu", "garbage", TEN);
    text.pipeInput("eu", "p-x,eu,ten,2026-01-15T10:05:00Z", TEN);
    // Two hours later: the 10:00 windows close; then one from 10:30, too late.
    in.pipeInput("eu", new Payment("p-closer", "eu", BigDecimal.ONE, TEN.plusSeconds(7200)));
    in.pipeInput(
        new TestRecord<>(
            "eu",
            new Payment("p-late", "eu", BigDecimal.ONE, TEN.plusSeconds(1800)),
            traceparent(0x700),
            TEN.plusSeconds(1800)));
    return new Sent(traces, paymentOfTrace);
  }

  /** Checks the batches, links, dead letter and late payment of {@link #sendPayments}. */
  private static List<LinkedBatch> checkPayments(
      TopologyTestDriver driver,
      InMemorySpanExporter spans,
      Sent sent,
      String batchesTopic,
      String lateTopic) {
    List<LinkedBatch> closed = batches(driver, batchesTopic);
    assertThat(closed).extracting(LinkedBatch::key).containsExactlyInAnyOrder("eu", "us");
    assertThat(closed).allSatisfy(batch -> assertThat(batch.recordCount()).isEqualTo(10));
    assertThat(closed)
        .allSatisfy(batch -> assertThat(batch.sums().get("amount")).isEqualByComparingTo("25.00"));
    List<String> linked = new ArrayList<>();
    for (LinkedBatch batch : closed) {
      linked.addAll(linkedTraceIds(spans, batch.traceId()));
    }
    assertThat(linked)
        .as("every payment linked once, the redelivered one too")
        .containsExactlyInAnyOrderElementsOf(sent.traces());
    assertThat(
            spans.getFinishedSpanItems().stream()
                .filter(
                    span -> closed.stream().anyMatch(b -> b.traceId().equals(span.getTraceId())))
                .flatMap(span -> span.getLinks().stream()))
        .as("each link carries the reader's attribute, from the state its window kept")
        .allSatisfy(
            link ->
                assertThat(link.getAttributes().get(PAYMENT_ID))
                    .isEqualTo(sent.paymentOfTrace().get(link.getSpanContext().getTraceId())));
    List<TestRecord<String, String>> deadLetters =
        driver
            .createOutputTopic(
                CONFIG.deadLetterTopic(), new StringDeserializer(), new StringDeserializer())
            .readRecordsToList();
    assertThat(deadLetters)
        .extracting(TestRecord::value)
        .containsExactly("garbage", "p-x,eu,ten,2026-01-15T10:05:00Z");
    assertThat(deadLetters.get(1).headers().lastHeader(DeadLetterHandler.HEADER_EXCEPTION).value())
        .asString(StandardCharsets.UTF_8)
        .isEqualTo(NumberFormatException.class.getName());
    List<TestRecord<String, Payment>> late =
        driver
            .createOutputTopic(lateTopic, new StringDeserializer(), PAYMENTS.deserializer())
            .readRecordsToList();
    assertThat(late).as("the late payment itself, untouched").hasSize(1);
    assertThat(late.get(0).key()).isEqualTo("eu");
    assertThat(late.get(0).value())
        .isEqualTo(new Payment("p-late", "eu", BigDecimal.ONE, TEN.plusSeconds(1800)));
    assertThat(late.get(0).getRecordTime()).isEqualTo(TEN.plusSeconds(1800));
    Header traceparent = late.get(0).headers().lastHeader("traceparent");
    assertThat(new String(traceparent.value(), StandardCharsets.UTF_8))
        .isEqualTo(String.format("00-%032x-%016x-01", 0x700, 0x600 + 0x700));
    return closed;
  }

  private static List<LinkedBatch> batches(TopologyTestDriver driver, String topic) {
    return driver
        .createOutputTopic(topic, new StringDeserializer(), LinkedBatch.jsonSerde().deserializer())
        .readValuesToList();
  }

  /** The trace ids of the links of every span of the batch whose trace is {@code traceId}. */
  private static List<String> linkedTraceIds(InMemorySpanExporter spans, String traceId) {
    return spans.getFinishedSpanItems().stream()
        .filter(span -> span.getTraceId().equals(traceId))
        .map(SpanData::getLinks)
        .flatMap(List::stream)
        .map(LinkData::getSpanContext)
        .map(context -> context.getTraceId())
        .toList();
  }
}
