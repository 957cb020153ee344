package dev.spanlinks.app.orders;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.opentelemetry.api.common.Attributes;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * One order as produced to the input topic, already validated by {@link OrderSerdes}, or a record
 * of another shape as its {@link InputFormat} read it.
 *
 * @param orderId never null; identifies the order across redeliveries; {@link InputFormat#NO_ID}
 *     until the record's position fills it in, for formats whose records carry no id
 * @param customerId may be null
 * @param region may be null
 * @param amount never null, never negative
 * @param currency never null; three upper-case letters (ISO 4217 style) for orders; for other
 *     formats the key of the batch total the amount goes to ({@link InputFormat#NO_SUM}: none)
 * @param createdAt may be null when the producer sent none or an unparseable one; event time then
 *     falls back to the record timestamp
 * @param batchKey the batch key read from the value ({@link InputFormat#batchKeyFromValue()}); null
 *     when the record key is the batch key. Not written to JSON: once read, the record key carries
 *     it.
 * @param linkAttributes what a {@link dev.spanlinks.streams.RecordReader} gave the record's span
 *     link; empty for spanlinks' own formats. Not written to JSON.
 */
public record Order(
    String orderId,
    String customerId,
    String region,
    BigDecimal amount,
    String currency,
    Instant createdAt,
    @JsonIgnore String batchKey,
    @JsonIgnore Attributes linkAttributes) {

  /** An order whose batch key is its record's key. */
  public Order(
      String orderId,
      String customerId,
      String region,
      BigDecimal amount,
      String currency,
      Instant createdAt) {
    this(orderId, customerId, region, amount, currency, createdAt, null);
  }

  /** An order whose link carries no attributes of its own. */
  public Order(
      String orderId,
      String customerId,
      String region,
      BigDecimal amount,
      String currency,
      Instant createdAt,
      String batchKey) {
    this(orderId, customerId, region, amount, currency, createdAt, batchKey, Attributes.empty());
  }

  /** This order with {@code id} as its id. */
  public Order withOrderId(String id) {
    return new Order(id, customerId, region, amount, currency, createdAt, batchKey, linkAttributes);
  }

  public Order {
    // Null from Jackson, which leaves ignored components out.
    linkAttributes = linkAttributes == null ? Attributes.empty() : linkAttributes;
    Objects.requireNonNull(orderId, "orderId");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(currency, "currency");
  }
}
