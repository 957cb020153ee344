package dev.spanlinks.streams.trace;

import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_BATCH_MESSAGE_COUNT;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_CONSUMER_GROUP_NAME;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_DESTINATION_NAME;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_DESTINATION_PARTITION_ID;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_KAFKA_MESSAGE_KEY;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_KAFKA_OFFSET;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_OPERATION_NAME;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_OPERATION_TYPE;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_SYSTEM;

import dev.spanlinks.streams.model.Contribution;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MessagingOperationTypeIncubatingValues;
import io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MessagingSystemIncubatingValues;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The spans of one closing batch: the batch span {@value #BATCH_SPAN_NAME} (kind CONSUMER, no
 * parent) and, past {@code linksPerSpan} linked orders, child spans {@value #CHUNK_SPAN_NAME} that
 * carry the rest of the links.
 *
 * <p>Links go on the span builder, before the span starts, so samplers see them. Only one chunk of
 * links is held at a time, so a window of a million orders needs no more heap than one of a
 * thousand, and every span ended here counts towards the tracer's export rounds ({@link
 * BatchTracer#spanEnded()}), so ended spans cannot overflow the span processor's queue. Every
 * linked order becomes exactly one link; none is left to the SDK's silent cap.
 */
public final class BatchSpans {
  public static final String BATCH_SPAN_NAME = "process orders";
  public static final String CHUNK_SPAN_NAME = "process orders chunk";
  public static final String REVERSE_SPAN_NAME = "batched";

  private final BatchTracer tracer;
  private final String batchKey;
  private final Instant windowStart;
  private final Instant windowEnd;
  private final BatchIds ids;
  private final int partition;
  private final String traceId;
  private final List<PendingLink> pending = new ArrayList<>();
  private Span batchSpan;
  private int chunkSpans;
  private long linked;
  private boolean anyLinkSampled;

  BatchSpans(
      BatchTracer tracer, String batchKey, Instant windowStart, Instant windowEnd, int partition) {
    this.tracer = tracer;
    this.batchKey = batchKey;
    this.windowStart = windowStart;
    this.windowEnd = windowEnd;
    this.partition = partition;
    this.ids =
        new BatchIds(
            tracer.settings().batchIdsNamespace(), batchKey, windowStart.toEpochMilli(), partition);
    this.traceId = ids.traceId();
  }

  /**
   * Says, before the first link, that some order of this batch arrived sampled, so the batch span
   * starts with {@link SpanlinksAttributes#LINKS_SAMPLED} for samplers to see.
   */
  public void someLinkSampled() {
    anyLinkSampled = true;
  }

  /** Adds the link of one linked order; starts a span whenever a chunk of links is full. */
  public void link(Contribution contribution) {
    pending.add(
        new PendingLink(
            contribution.spanContext(), linkAttributes(contribution), contribution.orderId()));
    linked++;
    if (pending.size() == tracer.settings().linksPerSpan()) {
      startPendingSpan();
    }
  }

  /** What one link carries, by {@code spanlinks.link.attributes}; see {@link LinkAttributes}. */
  private Attributes linkAttributes(Contribution contribution) {
    BatchSpanSettings settings = tracer.settings();
    return switch (settings.linkAttributes()) {
      case NONE -> Attributes.empty();
      case STANDARD ->
          settings.ordersFromManyPartitions()
              ? Attributes.of(
                  MESSAGING_KAFKA_OFFSET,
                  contribution.offset(),
                  MESSAGING_DESTINATION_PARTITION_ID,
                  Integer.toString(contribution.partition()))
              : Attributes.of(MESSAGING_KAFKA_OFFSET, contribution.offset());
      case ALL ->
          Attributes.builder()
              .put(MESSAGING_KAFKA_OFFSET, contribution.offset())
              .put(MESSAGING_DESTINATION_PARTITION_ID, Integer.toString(contribution.partition()))
              .put(MESSAGING_KAFKA_MESSAGE_KEY, batchKey)
              .put(SpanlinksAttributes.ORDER_ID, contribution.orderId())
              .put(
                  SpanlinksAttributes.ORDER_EVENT_TIME,
                  Instant.ofEpochMilli(contribution.eventTimeMs()).toString())
              .build();
    };
  }

  /**
   * What every link of this batch shares, once on the batch and each chunk span: the record key,
   * and the input partition unless the orders were repartitioned (they may then come from several).
   */
  private SpanBuilder withSharedLinkAttributes(SpanBuilder builder) {
    builder.setAttribute(MESSAGING_KAFKA_MESSAGE_KEY, batchKey);
    if (!tracer.settings().ordersFromManyPartitions()) {
      builder.setAttribute(MESSAGING_DESTINATION_PARTITION_ID, Integer.toString(partition));
    }
    return builder;
  }

  /**
   * Starts what is still pending, records the batch's counts on the batch span and returns it,
   * started but not ended: the caller makes it current while it forwards the batch, then ends it.
   */
  public Span finish(long orderCount, long unlinked, long duplicates) {
    if (batchSpan == null || !pending.isEmpty()) {
      startPendingSpan();
    }
    batchSpan.setAttribute(MESSAGING_BATCH_MESSAGE_COUNT, orderCount);
    batchSpan.setAttribute(SpanlinksAttributes.ORDERS_LINKED, linked);
    batchSpan.setAttribute(SpanlinksAttributes.ORDERS_UNLINKED, unlinked);
    batchSpan.setAttribute(SpanlinksAttributes.ORDERS_DUPLICATE, duplicates);
    batchSpan.setAttribute(SpanlinksAttributes.LINK_CHUNKS, (long) chunkSpans);
    checkNoLinkDropped(batchSpan);
    return batchSpan;
  }

  public long linkedCount() {
    return linked;
  }

  public int chunkSpanCount() {
    return chunkSpans;
  }

  private void startPendingSpan() {
    if (batchSpan == null) {
      SpanBuilder builder =
          tracer
              .tracer()
              .spanBuilder(BATCH_SPAN_NAME)
              .setSpanKind(SpanKind.CONSUMER)
              .setNoParent()
              .setAttribute(MESSAGING_SYSTEM, MessagingSystemIncubatingValues.KAFKA)
              .setAttribute(
                  MESSAGING_OPERATION_TYPE, MessagingOperationTypeIncubatingValues.PROCESS)
              .setAttribute(MESSAGING_OPERATION_NAME, "process")
              .setAttribute(MESSAGING_DESTINATION_NAME, tracer.settings().ordersTopic())
              .setAttribute(MESSAGING_CONSUMER_GROUP_NAME, tracer.settings().applicationId())
              .setAttribute(SpanlinksAttributes.BATCH_KEY, batchKey)
              .setAttribute(SpanlinksAttributes.WINDOW_START, windowStart.toString())
              .setAttribute(SpanlinksAttributes.WINDOW_END, windowEnd.toString());
      if (anyLinkSampled) {
        builder.setAttribute(SpanlinksAttributes.LINKS_SAMPLED, true);
      }
      batchSpan = start(withSharedLinkAttributes(builder), 0);
    } else {
      chunkSpans++;
      SpanBuilder builder =
          tracer
              .tracer()
              .spanBuilder(CHUNK_SPAN_NAME)
              .setSpanKind(SpanKind.INTERNAL)
              .setParent(Context.root().with(batchSpan))
              .setAttribute(SpanlinksAttributes.BATCH_KEY, batchKey)
              .setAttribute(SpanlinksAttributes.LINK_CHUNK_INDEX, (long) chunkSpans)
              .setAttribute(SpanlinksAttributes.LINK_COUNT, (long) pending.size());
      Span chunk = start(withSharedLinkAttributes(builder), chunkSpans);
      checkNoLinkDropped(chunk);
      chunk.end();
      tracer.spanEnded();
    }
    if (tracer.settings().reverseLinks()) {
      startReverseSpans();
    }
    pending.clear();
  }

  /**
   * One small span per linked order, in the order's own trace (parented on its context) and linked
   * to the batch span, so even a backend that cannot query links in reverse shows, from the order,
   * which batch took it. The order's sampling decision applies, as for any child span.
   */
  private void startReverseSpans() {
    SpanContext batch = batchSpan.getSpanContext();
    Attributes linkAttributes = Attributes.of(SpanlinksAttributes.BATCH_KEY, batchKey);
    for (PendingLink link : pending) {
      tracer
          .tracer()
          .spanBuilder(REVERSE_SPAN_NAME)
          .setSpanKind(SpanKind.INTERNAL)
          .setParent(Context.root().with(Span.wrap(link.spanContext())))
          .addLink(batch, linkAttributes)
          .setAttribute(SpanlinksAttributes.BATCH_KEY, batchKey)
          .setAttribute(SpanlinksAttributes.WINDOW_START, windowStart.toString())
          .setAttribute(SpanlinksAttributes.ORDER_ID, link.orderId())
          .startSpan()
          .end();
      tracer.spanEnded();
    }
  }

  @SuppressWarnings("try") // the scope only has to be open while the span starts
  private Span start(SpanBuilder builder, int chunkIndex) {
    for (PendingLink link : pending) {
      builder.addLink(link.spanContext(), link.attributes());
    }
    String spanId = ids.spanId(chunkIndex);
    Span span;
    try (Scope ignored =
        DeterministicIdGenerator.withIds(Context.current(), traceId, spanId).makeCurrent()) {
      span = builder.startSpan();
    }
    SpanContext started = span.getSpanContext();
    if (started.isValid() && !started.getSpanId().equals(spanId)) {
      tracer.warnRandomIdsOnce();
    }
    return span;
  }

  /** Only an SDK span can tell; other implementations are trusted. */
  private void checkNoLinkDropped(Span span) {
    if (span instanceof ReadableSpan readable) {
      SpanData data = readable.toSpanData();
      long dropped = (long) data.getTotalRecordedLinks() - data.getLinks().size();
      if (dropped > 0) {
        tracer.warnDroppedLinksOnce(dropped);
      }
    }
  }

  private record PendingLink(SpanContext spanContext, Attributes attributes, String orderId) {}
}
