package dev.spanlinks.demo;

import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_DESTINATION_NAME;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_OPERATION_NAME;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_OPERATION_TYPE;

import dev.spanlinks.app.orders.Order;
import dev.spanlinks.app.orders.OrderSerdes;
import dev.spanlinks.streams.trace.KafkaHeadersSetter;
import dev.spanlinks.streams.trace.MessagingConventions;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MessagingOperationTypeIncubatingValues;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces orders the way a traced service would: each order is created inside a {@code
 * receive-order} SERVER span (a simulated API request) whose child {@code send orders} PRODUCER
 * span is injected into the record headers by the configured propagator.
 *
 * <p>Order {@code i} has event time {@code start + i * speed / rate} seconds: the run covers
 * simulated time {@code speed} times faster than wall-clock time, and the same settings always give
 * the same event times.
 */
public final class OrderProducer implements AutoCloseable {
  private static final List<String> CURRENCIES = List.of("EUR", "USD", "GBP");

  private final KafkaProducer<String, byte[]> producer;
  private final Tracer tracer;
  private final TextMapPropagator propagator;

  /** The send span's messaging keys, as {@code OTEL_SEMCONV_STABILITY_OPT_IN} chooses them. */
  private final List<AttributeKey<String>> systemKeys;

  private final List<AttributeKey<String>> messageKeyKeys;
  // The first send that failed (no broker, failed authentication, ...): it ends the run, so a
  // failing cluster is never reported as orders produced.
  private final AtomicReference<Exception> sendFailure = new AtomicReference<>();

  /** What to produce. */
  public record Settings(
      String topic,
      int count,
      double ratePerSecond,
      List<String> batchKeys,
      Instant start,
      double speed,
      double invalidRatio,
      double untracedRatio,
      long seed) {}

  /**
   * What was produced.
   *
   * @param tracedOrders the {@code send orders} span context of every valid order sent with a trace
   *     context: each must become exactly one link
   * @param invalidOrders the value (UTF-8 JSON) of every invalid order sent: each must become
   *     exactly one dead letter
   */
  public record Result(
      int produced,
      int invalid,
      int untraced,
      List<SpanContext> tracedOrders,
      List<String> invalidOrders) {
    public int valid() {
      return produced - invalid;
    }
  }

  public OrderProducer(Map<String, Object> kafkaSettings, OpenTelemetry openTelemetry) {
    Map<String, Object> props = new java.util.HashMap<>(kafkaSettings);
    props.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
    props.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
    this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    this.tracer = openTelemetry.getTracer("dev.spanlinks.demo");
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
    MessagingConventions conventions = MessagingConventions.of(openTelemetry);
    this.systemKeys =
        conventions.keys(MessagingConventions.OLD_SYSTEM, MessagingConventions.NEW_SYSTEM);
    this.messageKeyKeys =
        conventions.keys(
            MessagingConventions.OLD_MESSAGE_KEY, MessagingConventions.NEW_MESSAGE_KEY);
  }

  /**
   * Sends the orders and waits until the broker has them.
   *
   * @throws KafkaException the first send that failed; no further orders are sent after it
   */
  public Result produce(Settings settings, PrintWriter progress) throws InterruptedException {
    Random random = new Random(settings.seed());
    String run = Long.toString(settings.seed() & 0xffffff, 36);
    List<SpanContext> traced = Collections.synchronizedList(new ArrayList<>());
    List<String> invalidOrders = new ArrayList<>();
    int invalid = 0;
    int untraced = 0;
    long startNanos = System.nanoTime();
    int reported = 0;
    for (int i = 0; i < settings.count(); i++) {
      throwIfSendFailed();
      pace(settings.ratePerSecond(), startNanos, i);
      String key = settings.batchKeys().get(i % settings.batchKeys().size());
      String orderId = "order-" + run + "-" + i;
      Instant createdAt =
          settings
              .start()
              .plusMillis(Math.round(i * 1000.0 * settings.speed() / settings.ratePerSecond()));
      boolean isInvalid = random.nextDouble() < settings.invalidRatio();
      boolean isUntraced = random.nextDouble() < settings.untracedRatio();
      byte[] value =
          isInvalid
              ? invalidOrder(orderId, createdAt, random)
              : OrderSerdes.orderSerializer()
                  .serialize(settings.topic(), order(orderId, key, createdAt, random));
      ProducerRecord<String, byte[]> record = new ProducerRecord<>(settings.topic(), key, value);
      if (isUntraced) {
        untraced++;
        producer.send(record, (metadata, exception) -> recordFailure(exception));
      } else {
        SpanContext sent = sendTraced(record, orderId, createdAt);
        // Counted from what was written, never from what was meant: an SDK that hands out no
        // valid context (no span processor, say) sends the order without a traceparent.
        if (record.headers().lastHeader("traceparent") == null) {
          untraced++;
        } else if (!isInvalid) {
          traced.add(sent);
        }
      }
      if (isInvalid) {
        invalid++;
        invalidOrders.add(new String(value, StandardCharsets.UTF_8));
      }
      int percent = (int) ((i + 1) * 100L / settings.count());
      if (percent / 10 > reported / 10) {
        reported = percent;
        progress.printf("produced %,d of %,d orders (%d%%)%n", i + 1, settings.count(), percent);
      }
    }
    producer.flush();
    throwIfSendFailed();
    return new Result(
        settings.count(), invalid, untraced, List.copyOf(traced), List.copyOf(invalidOrders));
  }

  @SuppressWarnings("try") // the scopes make each span current for its child and the inject
  private SpanContext sendTraced(
      ProducerRecord<String, byte[]> record, String orderId, Instant createdAt) {
    Span request =
        tracer.spanBuilder("receive-order").setSpanKind(SpanKind.SERVER).setNoParent().startSpan();
    try (Scope ignored = request.makeCurrent()) {
      SpanBuilder sendBuilder =
          tracer
              .spanBuilder("send " + record.topic())
              .setSpanKind(SpanKind.PRODUCER)
              .setAttribute(MESSAGING_OPERATION_TYPE, MessagingOperationTypeIncubatingValues.SEND)
              .setAttribute(MESSAGING_OPERATION_NAME, "send")
              .setAttribute(MESSAGING_DESTINATION_NAME, record.topic())
              .setAttribute(SpanlinksAttributes.ORDER_ID, orderId)
              .setAttribute(SpanlinksAttributes.ORDER_EVENT_TIME, createdAt.toString());
      for (AttributeKey<String> key : systemKeys) {
        sendBuilder.setAttribute(key, "kafka");
      }
      for (AttributeKey<String> key : messageKeyKeys) {
        sendBuilder.setAttribute(key, record.key());
      }
      Span send = sendBuilder.startSpan();
      try (Scope sendScope = send.makeCurrent()) {
        propagator.inject(Context.current(), record.headers(), KafkaHeadersSetter.INSTANCE);
        producer.send(
            record,
            (metadata, exception) -> {
              if (exception != null) {
                send.setStatus(StatusCode.ERROR, exception.getClass().getSimpleName());
              }
              send.end();
              recordFailure(exception);
            });
      }
      return send.getSpanContext();
    } finally {
      request.end();
    }
  }

  private void recordFailure(Exception exception) {
    if (exception != null) {
      sendFailure.compareAndSet(null, exception);
    }
  }

  private void throwIfSendFailed() {
    Exception failure = sendFailure.get();
    if (failure instanceof KafkaException kafka) {
      throw kafka;
    }
    if (failure != null) {
      throw new KafkaException(failure.getMessage(), failure);
    }
  }

  private static Order order(String id, String key, Instant createdAt, Random random) {
    BigDecimal amount =
        BigDecimal.valueOf(100 + random.nextInt(50_000))
            .movePointLeft(2)
            .setScale(2, RoundingMode.UNNECESSARY);
    return new Order(
        id,
        "customer-" + random.nextInt(1000),
        key,
        amount,
        CURRENCIES.get(random.nextInt(CURRENCIES.size())),
        createdAt);
  }

  /**
   * An order the streams app must dead-letter, for one of three reasons: no order id, a negative
   * amount, or a currency that is not an ISO code. Several reasons show what the dead-letter
   * headers tell apart.
   */
  private static byte[] invalidOrder(String orderId, Instant createdAt, Random random) {
    String fields =
        switch (random.nextInt(3)) {
          case 0 -> "\"amount\":1.00,\"currency\":\"EUR\"";
          case 1 -> "\"orderId\":\"" + orderId + "\",\"amount\":-1.00,\"currency\":\"EUR\"";
          default -> "\"orderId\":\"" + orderId + "\",\"amount\":1.00,\"currency\":\"euro\"";
        };
    return ("{\"customerId\":\"customer-0\"," + fields + ",\"createdAt\":\"" + createdAt + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static void pace(double ratePerSecond, long startNanos, int sent)
      throws InterruptedException {
    long due = startNanos + (long) (sent * 1e9 / ratePerSecond);
    long wait = due - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
