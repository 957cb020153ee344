package dev.spanlinks.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The receiver's field-by-field decoder against protobuf-java's full parse of the same bytes:
 * random requests with every field a span, a link and an attribute can carry, links repeated within
 * and across requests, and batch-to-chunk links that must not count as order links.
 */
class OtlpLinkTallyTest {

  /** What protobuf-java's parse says of the same requests, counted the obvious way. */
  private static final class Model {
    final Map<ByteString, Integer> timesPerContext = new HashMap<>();
    long requests;
    long spans;
    long orderLinks;
    long traceLinks;
    long checksum;

    void add(byte[] bytes) throws Exception {
      ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(bytes);
      requests++;
      for (ResourceSpans resource : request.getResourceSpansList()) {
        for (ScopeSpans scope : resource.getScopeSpansList()) {
          for (Span span : scope.getSpansList()) {
            spans++;
            for (Span.Link link : span.getLinksList()) {
              if (link.getAttributesList().stream()
                  .anyMatch(a -> a.getKey().equals("spanlinks.link.to"))) {
                traceLinks++;
                continue;
              }
              orderLinks++;
              ByteString context = link.getTraceId().concat(link.getSpanId());
              if (timesPerContext.merge(context, 1, Integer::sum) == 1) {
                checksum += link.getTraceId().substring(8).asReadOnlyByteBuffer().getLong();
              }
            }
          }
        }
      }
    }

    long linkedMoreThanOnce() {
      return timesPerContext.values().stream().filter(times -> times > 1).count();
    }
  }

  @Test
  void shouldCountWhatProtobufJavaDecodesOnRandomRequests() throws Exception {
    for (long seed = 1; seed <= 40; seed++) {
      Random random = new Random(seed);
      OtlpLinkTally tally = new OtlpLinkTally();
      Model model = new Model();
      // Few distinct contexts, so links repeat within and across requests.
      int contexts = 1 + random.nextInt(3_000);
      for (int r = 0; r < 1 + random.nextInt(6); r++) {
        byte[] bytes = randomRequest(random, contexts).toByteArray();
        tally.add(bytes);
        model.add(bytes);
      }

      String why = "seed " + seed;
      assertThat(tally.requests()).as(why).isEqualTo(model.requests);
      assertThat(tally.spans()).as(why).isEqualTo(model.spans);
      assertThat(tally.orderLinks()).as(why).isEqualTo(model.orderLinks);
      assertThat(tally.traceLinks()).as(why).isEqualTo(model.traceLinks);
      assertThat(tally.distinctContexts()).as(why).isEqualTo(model.timesPerContext.size());
      assertThat(tally.linkedMoreThanOnce()).as(why).isEqualTo(model.linkedMoreThanOnce());
      assertThat(tally.checksum()).as(why).isEqualTo(model.checksum);
    }
  }

  @Test
  void shouldCountEachOfAMillionDistinctContextsOnce() {
    OtlpLinkTally tally = new OtlpLinkTally();
    int perRequest = 10_000;
    long expectedChecksum = 0;
    for (int r = 0; r < 100; r++) {
      Span.Builder span = Span.newBuilder().setName("process orders");
      for (int i = 0; i < perRequest; i++) {
        long n = (long) r * perRequest + i;
        span.addLinks(link(Inputs.traceIdLow(n), 0x20000000L + n));
        expectedChecksum += Inputs.traceIdLow(n);
      }
      tally.add(request(span.build()).toByteArray());
    }

    assertThat(tally.orderLinks()).isEqualTo(1_000_000);
    assertThat(tally.distinctContexts()).isEqualTo(1_000_000);
    assertThat(tally.linkedMoreThanOnce()).isZero();
    assertThat(tally.checksum()).isEqualTo(expectedChecksum);
  }

  @Test
  void shouldRefuseATruncatedRequestAndKeepTheTotals() {
    OtlpLinkTally tally = new OtlpLinkTally();
    byte[] whole =
        request(Span.newBuilder().addLinks(link(1, 2)).addLinks(link(3, 4)).build()).toByteArray();
    tally.add(whole);

    for (int cut = 1; cut < whole.length; cut++) {
      byte[] truncated = Arrays.copyOf(whole, cut);
      assertThatThrownBy(() -> tally.add(truncated))
          .as("cut at %d of %d bytes", cut, whole.length)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("Malformed OTLP");
    }
    assertThat(tally.requests()).isEqualTo(1);
    assertThat(tally.orderLinks()).isEqualTo(2);
    assertThat(tally.distinctContexts()).isEqualTo(2);
  }

  private static ExportTraceServiceRequest randomRequest(Random random, int contexts) {
    ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.newBuilder();
    for (int r = 0; r < random.nextInt(3); r++) {
      ResourceSpans.Builder resource =
          ResourceSpans.newBuilder()
              .setResource(
                  Resource.newBuilder()
                      .addAttributes(text("service.name", "svc-" + random.nextInt(9))))
              .setSchemaUrl("https://opentelemetry.io/schemas/1.24.0");
      for (int s = 0; s < random.nextInt(3); s++) {
        ScopeSpans.Builder scope =
            ScopeSpans.newBuilder()
                .setScope(InstrumentationScope.newBuilder().setName("spanlinks").setVersion("1"));
        for (int p = 0; p < random.nextInt(4); p++) {
          scope.addSpans(randomSpan(random, contexts));
        }
        resource.addScopeSpans(scope);
      }
      request.addResourceSpans(resource);
    }
    return request.build();
  }

  private static Span randomSpan(Random random, int contexts) {
    Span.Builder span =
        Span.newBuilder()
            .setTraceId(bytes(random, 16))
            .setSpanId(bytes(random, 8))
            .setParentSpanId(bytes(random, 8))
            .setTraceState("vendor=x")
            .setName("process orders")
            .setKind(Span.SpanKind.SPAN_KIND_CONSUMER)
            .setStartTimeUnixNano(random.nextLong() >>> 1)
            .setEndTimeUnixNano(random.nextLong() >>> 1)
            .addAttributes(text("messaging.batch.message_count", "3"))
            .addAttributes(
                KeyValue.newBuilder()
                    .setKey("spanlinks.amount")
                    .setValue(AnyValue.newBuilder().setDoubleValue(random.nextDouble())))
            .setDroppedLinksCount(random.nextInt(3))
            .setFlags(random.nextInt(0x300))
            .addEvents(Span.Event.newBuilder().setName("exception").setTimeUnixNano(1));
    for (int l = 0; l < random.nextInt(400); l++) {
      long n = random.nextInt(contexts);
      Span.Link.Builder link = link(n, n * 31 + 7).toBuilder();
      if (random.nextInt(10) == 0) {
        link.setTraceState("rojo=00f067aa0ba902b7");
      }
      if (random.nextBoolean()) {
        link.addAttributes(
                KeyValue.newBuilder()
                    .setKey("messaging.kafka.offset")
                    .setValue(AnyValue.newBuilder().setIntValue(random.nextLong())))
            .addAttributes(text("messaging.message.id", "order-" + n));
      }
      if (random.nextInt(20) == 0) {
        // A batch span's link to one of its chunk traces, or back.
        link.addAttributes(text("spanlinks.link.to", "chunk"));
      }
      if (random.nextInt(5) == 0) {
        // Almost the marker key (longer, or as long): an order link still.
        link.addAttributes(
            text(random.nextBoolean() ? "spanlinks.link.toX" : "spanlinks.link.tp", "chunk"));
      }
      link.setDroppedAttributesCount(random.nextInt(2)).setFlags(0x101);
      span.addLinks(link);
    }
    return span.build();
  }

  private static Span.Link link(long traceLow, long spanId) {
    return Span.Link.newBuilder()
        .setTraceId(
            ByteString.copyFrom(ByteBuffer.allocate(16).putLong(0).putLong(traceLow).array()))
        .setSpanId(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(spanId).array()))
        .build();
  }

  private static ExportTraceServiceRequest request(Span span) {
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(
            ResourceSpans.newBuilder().addScopeSpans(ScopeSpans.newBuilder().addSpans(span)))
        .build();
  }

  private static KeyValue text(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  private static ByteString bytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return ByteString.copyFrom(bytes);
  }
}
