package dev.spanlinks.app.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spanlinks.streams.RejectedRecordException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OrderSerdesTest {

  @Test
  void shouldParseValidOrderAndIgnoreUnknownFields() {
    Order order =
        parse(
            "{\"orderId\":\"o-1\",\"customerId\":\"c\",\"region\":\"west\",\"amount\":12.50,"
                + "\"currency\":\"EUR\",\"createdAt\":\"2026-01-15T10:15:00Z\",\"coupon\":\"X\"}");
    assertThat(order)
        .isEqualTo(
            new Order(
                "o-1",
                "c",
                "west",
                new BigDecimal("12.50"),
                "EUR",
                Instant.parse("2026-01-15T10:15:00Z")));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"orderId\":\"o\",\"amount\":1,\"currency\":\"EUR\"}|",
        "{\"orderId\":\"o\",\"amount\":1,\"currency\":\"EUR\",\"createdAt\":\"yesterday\"}|",
        "{\"orderId\":\"o\",\"amount\":1,\"currency\":\"EUR\",\"createdAt\":12345}|"
      })
  void shouldFallBackToRecordTimeWhenCreatedAtIsMissingOrUnusable(String json) {
    assertThat(parse(json).createdAt()).isNull();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{|value is not valid JSON",
        "\"text\"|value is not a JSON object",
        "{\"amount\":1,\"currency\":\"EUR\"}|orderId is missing",
        "{\"orderId\":\"\",\"amount\":1,\"currency\":\"EUR\"}|orderId must be a non-empty string",
        "{\"orderId\":7,\"amount\":1,\"currency\":\"EUR\"}|orderId must be a non-empty string",
        "{\"orderId\":\"o\",\"currency\":\"EUR\"}|amount is missing",
        "{\"orderId\":\"o\",\"amount\":\"1\",\"currency\":\"EUR\"}|amount must be a JSON number",
        "{\"orderId\":\"o\",\"amount\":-0.01,\"currency\":\"EUR\"}|amount must not be negative",
        "{\"orderId\":\"o\",\"amount\":1}|currency is missing",
        "{\"orderId\":\"o\",\"amount\":1,\"currency\":\"EURO\"}|currency must be three upper-case letters",
        "{\"orderId\":\"o\",\"amount\":1,\"currency\":\"EUR\",\"region\":[]}|region must be a string",
        "{\"orderId\":\"o\",\"amount\":1e999999999,\"currency\":\"EUR\"}|amount must have at most 15 digits before",
        "{\"orderId\":\"o\",\"amount\":1e9999999999,\"currency\":\"EUR\"}|value holds a number out of any representable range",
        "{\"orderId\":\"o\",\"amount\":1,\"currency\":\"EUR\"}{\"orderId\":\"p\",\"amount\":1,\"currency\":\"EUR\"}|value is not valid JSON",
        "{\"orderId\":\"o\",\"amount\":1000000000000000,\"currency\":\"EUR\"}|amount must have at most 15 digits before",
        "{\"orderId\":\"o\",\"amount\":1e-999999999,\"currency\":\"EUR\"}|amount must have at most 9 digits after",
        "{\"orderId\":\"o\",\"amount\":0.0000000001,\"currency\":\"EUR\"}|amount must have at most 9 digits after",
        "{\"orderId\":\"o\",\"amount\":1,\"currency\":\"EUR\",\"createdAt\":\"1969-12-31T23:59:59.999Z\"}|createdAt is outside the range of Kafka timestamps",
        "{\"orderId\":\"o\",\"amount\":1,\"currency\":\"EUR\",\"createdAt\":\"+999999999-12-31T23:59:59Z\"}|createdAt is outside the range of Kafka timestamps"
      })
  void shouldRejectInvalidOrderWithReason(String json, String reason) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOf(RejectedRecordException.class)
        .hasMessageStartingWith(reason);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "999999999999999.999999999|999999999999999.999999999",
        "12.50|12.50",
        "1.5000000000000000000000|1.500000000",
        "1e14|100000000000000",
        "0e-999999999|0E-9",
        "0e999999999|0"
      })
  void shouldKeepAmountsWithinTheMonetaryRangeExactlyAndBoundTheirScale(
      String amount, String kept) {
    Order order = parse("{\"orderId\":\"o\",\"amount\":" + amount + ",\"currency\":\"EUR\"}");
    assertThat(order.amount().toString()).isEqualTo(kept);
  }

  @Test
  void shouldRejectANineHundredDigitAmountQuickly() {
    String json = "{\"orderId\":\"o\",\"amount\":" + "9".repeat(900) + ",\"currency\":\"EUR\"}";
    assertThatThrownBy(() -> parse(json)).hasMessageStartingWith("amount must have at most 15");
  }

  @Test
  void shouldRejectNullValueAndNullOrBlankKey() {
    assertThatThrownBy(() -> OrderSerdes.orderDeserializer().deserialize("orders", null))
        .hasMessage("value is null (tombstone)");
    assertThatThrownBy(() -> OrderSerdes.batchKeyDeserializer().deserialize("orders", null))
        .hasMessage("key (batch key) is null");
    assertThatThrownBy(
            () ->
                OrderSerdes.batchKeyDeserializer()
                    .deserialize("orders", " ".getBytes(StandardCharsets.UTF_8)))
        .hasMessage("key (batch key) is empty");
  }

  @Test
  void shouldRoundTripOrderBatchJson() {
    OrderBatch batch =
        new OrderBatch(
            "eu",
            Instant.parse("2026-01-15T10:00:00Z"),
            Instant.parse("2026-01-15T11:00:00Z"),
            3,
            2,
            1,
            0,
            0,
            new TreeMap<>(Map.of("EUR", new BigDecimal("37.50"))),
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "00f067aa0ba902b7",
            2);
    byte[] json = OrderSerdes.orderBatchSerializer().serialize("order-batches", batch);
    assertThat(new String(json, StandardCharsets.UTF_8))
        .contains("\"windowStart\":\"2026-01-15T10:00:00Z\"")
        .contains("\"totals\":{\"EUR\":37.50}");
    assertThat(OrderSerdes.orderBatchDeserializer().deserialize("order-batches", json))
        .isEqualTo(batch);
  }

  private static Order parse(String json) {
    return OrderSerdes.orderDeserializer()
        .deserialize("orders", json.getBytes(StandardCharsets.UTF_8));
  }
}
