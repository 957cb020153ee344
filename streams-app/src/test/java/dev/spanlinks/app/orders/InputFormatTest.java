package dev.spanlinks.app.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spanlinks.streams.RejectedRecordException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;

/**
 * Reading values of other shapes: what each pointer accepts, and the reason for what it does not.
 */
class InputFormatTest {
  private final Deserializer<Order> json =
      InputFormat.json("/meta/id", "/meta/time", "/who", "/sum").valueDeserializer();

  private Order read(String value) {
    return json.deserialize("topic", value.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void shouldReadEveryPointer() {
    Order order =
        read(
            "{\"meta\":{\"id\":42,\"time\":\"2026-01-15T12:00:00+02:00\"},\"who\":\"eu\",\"sum\":1.50}");

    assertThat(order.orderId()).isEqualTo("42");
    assertThat(order.createdAt()).isEqualTo(Instant.parse("2026-01-15T10:00:00Z"));
    assertThat(order.batchKey()).isEqualTo("eu");
    assertThat(order.amount()).isEqualTo(new BigDecimal("1.50"));
    assertThat(order.currency()).isEqualTo("/sum");
  }

  @Test
  void shouldTakeEpochMillisAndFallBackToTheRecordTimeWhenTheTimeIsMissing() {
    assertThat(read("{\"meta\":{\"id\":\"a\",\"time\":1000},\"who\":\"k\"}").createdAt())
        .isEqualTo(Instant.ofEpochMilli(1000));
    assertThat(read("{\"meta\":{\"id\":\"a\"},\"who\":\"k\"}").createdAt()).isNull();
    assertThat(read("{\"meta\":{\"id\":\"a\"},\"who\":\"k\"}").amount()).isZero();
  }

  @Test
  void shouldNameTheRuleAValueBreaks() {
    assertReason("{\"who\":\"k\"}", "id at /meta/id is missing");
    assertReason("{\"meta\":{\"id\":\"a\"}}", "batch key at /who is missing");
    assertReason("{\"meta\":{\"id\":\"a\"},\"who\":{}}", "batch key at /who is missing");
    assertReason("{\"meta\":{\"id\":\"a\",\"time\":-1},\"who\":\"k\"}", "outside the range");
    assertReason(
        "{\"meta\":{\"id\":\"a\",\"time\":\"2026-01-15T12:00:00\"},\"who\":\"k\"}", "ISO-8601");
    assertReason("{\"meta\":{\"id\":\"a\"},\"who\":\"k\",\"sum\":\"9\"}", "not a number");
    assertReason("{\"meta\":{\"id\":\"a\"},\"who\":\"k\",\"sum\":1e30}", "digits before the point");
    assertReason("{\"meta\":{\"id\":\"" + "x".repeat(257) + "\"},\"who\":\"k\"}", "longer than");
    assertReason("not json", "not valid JSON");
  }

  @Test
  void shouldLeaveTheIdToThePositionWithoutAnIdPointer() {
    Order order =
        InputFormat.json("", "", "", "")
            .valueDeserializer()
            .deserialize("t", "{}".getBytes(StandardCharsets.UTF_8));
    assertThat(order.orderId()).isEqualTo(InputFormat.NO_ID);
    assertThat(order.currency()).isEqualTo(InputFormat.NO_SUM);
  }

  @Test
  void shouldNeverReadUnparsedValues() {
    Order order = InputFormat.unparsed().valueDeserializer().deserialize("t", new byte[] {-1, 0});
    assertThat(order.orderId()).isEqualTo(InputFormat.NO_ID);
    assertThat(InputFormat.unparsed().valueDeserializer().deserialize("t", null)).isNotNull();
  }

  @Test
  void shouldRefuseSomethingThatIsNotAPointer() {
    assertThatThrownBy(() -> InputFormat.json("id", "", "", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Not a JSON pointer");
  }

  private void assertReason(String value, String reason) {
    assertThatThrownBy(() -> read(value))
        .isInstanceOf(RejectedRecordException.class)
        .hasMessageContaining(reason);
  }
}
