package dev.spanlinks.streams.model;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * One order as produced to the input topic, already validated by {@link OrderSerdes}.
 *
 * @param orderId never null or blank; identifies the order across redeliveries
 * @param customerId may be null
 * @param region may be null
 * @param amount never null, never negative
 * @param currency never null; three upper-case letters (ISO 4217 style)
 * @param createdAt may be null when the producer sent none or an unparseable one; event time then
 *     falls back to the record timestamp
 */
public record Order(
    String orderId,
    String customerId,
    String region,
    BigDecimal amount,
    String currency,
    Instant createdAt) {

  public Order {
    Objects.requireNonNull(orderId, "orderId");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(currency, "currency");
  }
}
