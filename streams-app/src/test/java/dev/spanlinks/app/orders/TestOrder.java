package dev.spanlinks.app.orders;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Test data: one order record with defaults for everything but its id. The {@code traceparent}
 * header is written by hand, so the W3C wire format is pinned by the tests.
 */
public final class TestOrder {
  private final String orderId;
  private String batchKey = "eu";
  private Instant createdAt = Instant.parse("2026-01-15T10:15:00Z");
  private String amount = "12.50";
  private String currency = "EUR";
  private String traceparent;
  private String tracestate;
  private String traceId;
  private String spanId;

  private TestOrder(String orderId) {
    this.orderId = orderId;
  }

  /** An order with a valid, unique traceparent derived from {@code n}. */
  public static TestOrder traced(int n) {
    TestOrder order = new TestOrder("order-" + n);
    order.traceId = String.format(Locale.ROOT, "%032x", 0x1000_0000L + n);
    order.spanId = String.format(Locale.ROOT, "%016x", 0x2000_0000L + n);
    order.traceparent = "00-" + order.traceId + "-" + order.spanId + "-01";
    return order;
  }

  /** The same trace context with the sampled flag off. */
  public TestOrder unsampled() {
    this.traceparent = "00-" + traceId + "-" + spanId + "-00";
    return this;
  }

  public static TestOrder untraced(String orderId) {
    return new TestOrder(orderId);
  }

  public TestOrder key(String batchKey) {
    this.batchKey = batchKey;
    return this;
  }

  public TestOrder at(String isoInstant) {
    this.createdAt = Instant.parse(isoInstant);
    return this;
  }

  public TestOrder at(Instant instant) {
    this.createdAt = instant;
    return this;
  }

  public TestOrder amount(String amount, String currency) {
    this.amount = amount;
    this.currency = currency;
    return this;
  }

  public TestOrder traceparent(String traceparent) {
    this.traceparent = traceparent;
    this.traceId = null;
    this.spanId = null;
    return this;
  }

  public TestOrder tracestate(String tracestate) {
    this.tracestate = tracestate;
    return this;
  }

  public String orderId() {
    return orderId;
  }

  public String traceId() {
    return traceId;
  }

  public String spanId() {
    return spanId;
  }

  public Instant createdAt() {
    return createdAt;
  }

  public String json() {
    return "{\"orderId\":\""
        + orderId
        + "\",\"customerId\":\"c-1\",\"region\":\"west\",\"amount\":"
        + amount
        + ",\"currency\":\""
        + currency
        + "\",\"createdAt\":\""
        + createdAt
        + "\"}";
  }

  public TestRecord<String, byte[]> toRecord() {
    RecordHeaders headers = new RecordHeaders();
    if (traceparent != null) {
      headers.add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
    }
    if (tracestate != null) {
      headers.add("tracestate", tracestate.getBytes(StandardCharsets.UTF_8));
    }
    // The record timestamp is deliberately not the event time: createdAt must win.
    return new TestRecord<>(
        batchKey, json().getBytes(StandardCharsets.UTF_8), headers, createdAt.plusSeconds(7));
  }
}
