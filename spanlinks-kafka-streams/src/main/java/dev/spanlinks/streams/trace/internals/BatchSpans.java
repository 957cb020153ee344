package dev.spanlinks.streams.trace.internals;

import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_BATCH_MESSAGE_COUNT;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_CONSUMER_GROUP_NAME;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_DESTINATION_NAME;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_DESTINATION_PARTITION_ID;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_OPERATION_NAME;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_OPERATION_TYPE;

import dev.spanlinks.streams.state.Contribution;
import dev.spanlinks.streams.trace.MessagingConventions;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MessagingOperationTypeIncubatingValues;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The spans of one closing batch: the batch span {@value SpanlinksAttributes#BATCH_SPAN_NAME} (kind
 * CONSUMER, no parent) and, past {@code linksPerSpan} linked orders, child spans {@value
 * SpanlinksAttributes#CHUNK_SPAN_NAME} that carry the rest of the links.
 *
 * <p>Links go on the span builder, before the span starts, so samplers see them. Only one chunk of
 * links is held at a time, so a window of a million orders needs no more heap than one of a
 * thousand, and every span ended here counts towards the tracer's export rounds ({@link
 * BatchTracer#spanEnded()}), so ended spans cannot overflow the span processor's queue. Every
 * linked order becomes exactly one link; none is left to the SDK's silent cap.
 *
 * <p>No trace grows past {@code spanlinks.trace.max.bytes} of OTLP (backends refuse larger ones:
 * Tempo's {@code max_bytes_per_trace} is 5,000,000 by default). When the next chunk would take the
 * batch's trace past it, that chunk starts a <em>chunk trace</em> of its own: a {@value
 * SpanlinksAttributes#CHUNK_SPAN_NAME} root span linked to the batch span, which links back to it
 * (both links carry {@link SpanlinksAttributes#LINK_TO}), and the chunks after it join that trace
 * until it is full in turn. Every order stays one link away from a span that is one link away from
 * the batch.
 */
public final class BatchSpans {

  /**
   * Most chunk traces one batch links to; the SDK's link limit must leave room for them on the
   * batch span. At the default budget that is about 4 GB of links in one batch.
   */
  public static final int MAX_CHUNK_TRACES = 1024;

  /** Bytes of one link between the batch span and a chunk trace, an upper bound. */
  private static final long TRACE_LINK_BYTES = 96;

  /** Room kept in the batch's trace for the batch span's links to its chunk traces. */
  private static final long CHUNK_TRACE_LINKS_RESERVE = MAX_CHUNK_TRACES * TRACE_LINK_BYTES;

  /** Room for a chunk span's own attributes and ids, an upper bound. */
  private static final long CHUNK_SPAN_BYTES = OtlpSizes.SPAN_WITHOUT_ATTRIBUTES + 512;

  /** The value of {@code messaging.system} and {@code messaging.system.name}. */
  private static final String KAFKA = "kafka";

  private final BatchTracer tracer;
  private final String batchKey;
  private final Instant windowStart;
  private final String windowStartText;
  private final String windowEndText;
  private final BatchIds ids;
  private final int partition;
  private final String traceId;
  private final List<AttributeKey<Long>> offsetKeys;
  private final List<AttributeKey<String>> messageKeyKeys;
  private final List<PendingLink> pending = new ArrayList<>();
  private long pendingBytes;
  private Span batchSpan;
  private int batchSpanLinks;
  private int startedLinks;
  private int chunkSpans;
  private int chunkTraces;
  private SpanContext traceRoot;
  private long traceBytes;
  private long linked;
  private boolean anyLinkSampled;
  private BooleanSupplier sampledAhead = () -> false;

  BatchSpans(
      BatchTracer tracer, String batchKey, Instant windowStart, Instant windowEnd, int partition) {
    this.tracer = tracer;
    this.batchKey = batchKey;
    this.windowStart = windowStart;
    this.windowStartText = tracer.isoText(windowStart);
    this.windowEndText = tracer.isoText(windowEnd);
    this.partition = partition;
    this.ids =
        new BatchIds(
            tracer.settings().batchIdsNamespace(), batchKey, windowStart.toEpochMilli(), partition);
    this.traceId = ids.traceId();
    MessagingConventions conventions = tracer.settings().conventions();
    this.offsetKeys =
        conventions.keys(MessagingConventions.OLD_OFFSET, MessagingConventions.NEW_OFFSET);
    this.messageKeyKeys =
        conventions.keys(
            MessagingConventions.OLD_MESSAGE_KEY, MessagingConventions.NEW_MESSAGE_KEY);
  }

  /**
   * Says that some order of this batch arrived sampled, so the batch span starts with {@link
   * SpanlinksAttributes#LINKS_SAMPLED} for samplers to see.
   */
  public void someLinkSampled() {
    anyLinkSampled = true;
  }

  /**
   * Where to learn, when the batch span must start before every order of the batch has been seen (a
   * batch of more than one chunk of links), whether one still to come arrived sampled.
   */
  public void sampledAhead(BooleanSupplier ahead) {
    this.sampledAhead = ahead;
  }

  /** Adds the link of one linked order; starts a span whenever a chunk of links is full. */
  public void link(Contribution contribution) {
    Attributes attributes = linkAttributes(contribution);
    long bytes = OtlpSizes.link(contribution.spanContext(), attributes);
    if (!pending.isEmpty() && pendingBytes + bytes > maxLinkBytesPerSpan()) {
      startPendingSpan(false); // one span alone must fit in a trace
    }
    pending.add(new PendingLink(contribution.spanContext(), attributes, contribution.orderId()));
    pendingBytes += bytes;
    linked++;
    if (pending.size() == tracer.settings().linksPerSpan()) {
      startPendingSpan(false);
    }
  }

  /** The most link bytes one span may carry so that it fits in a trace of its own. */
  private long maxLinkBytesPerSpan() {
    return tracer.settings().traceMaxBytes() - CHUNK_TRACE_LINKS_RESERVE - 2 * CHUNK_SPAN_BYTES;
  }

  /**
   * What one link carries, by {@code spanlinks.link.attributes}; see {@link LinkAttributes}. A
   * record's own link attributes come with {@code standard} and {@code all}; spanlinks' own keys
   * win over a record's of the same name.
   */
  private Attributes linkAttributes(Contribution contribution) {
    BatchSpanSettings settings = tracer.settings();
    Attributes own = contribution.linkAttributes();
    return switch (settings.linkAttributes()) {
      case NONE -> Attributes.empty();
      case STANDARD -> {
        if (own.isEmpty() && !settings.ordersFromManyPartitions() && offsetKeys.size() == 1) {
          yield Attributes.of(offsetKeys.get(0), contribution.offset());
        }
        AttributesBuilder builder = withOffset(own.toBuilder(), contribution.offset());
        if (settings.ordersFromManyPartitions()) {
          builder.put(
              MESSAGING_DESTINATION_PARTITION_ID, Integer.toString(contribution.partition()));
        }
        yield builder.build();
      }
      case ALL ->
          withMessageKey(withOffset(own.toBuilder(), contribution.offset()))
              .put(MESSAGING_DESTINATION_PARTITION_ID, Integer.toString(contribution.partition()))
              .put(SpanlinksAttributes.ORDER_ID, contribution.orderId())
              .put(
                  SpanlinksAttributes.ORDER_EVENT_TIME,
                  Instant.ofEpochMilli(contribution.eventTimeMs()).toString())
              .build();
    };
  }

  private AttributesBuilder withOffset(AttributesBuilder builder, long offset) {
    for (AttributeKey<Long> key : offsetKeys) {
      builder.put(key, offset);
    }
    return builder;
  }

  private AttributesBuilder withMessageKey(AttributesBuilder builder) {
    for (AttributeKey<String> key : messageKeyKeys) {
      builder.put(key, batchKey);
    }
    return builder;
  }

  /**
   * What every link of this batch shares, once on the batch and each chunk span: the record key,
   * and the input partition unless the orders were repartitioned (they may then come from several).
   */
  private SpanBuilder withSharedLinkAttributes(SpanBuilder builder) {
    for (AttributeKey<String> key : messageKeyKeys) {
      builder.setAttribute(key, batchKey);
    }
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
      startPendingSpan(true);
    }
    batchSpan.setAttribute(MESSAGING_BATCH_MESSAGE_COUNT, orderCount);
    batchSpan.setAttribute(SpanlinksAttributes.ORDERS_LINKED, linked);
    batchSpan.setAttribute(SpanlinksAttributes.ORDERS_UNLINKED, unlinked);
    batchSpan.setAttribute(SpanlinksAttributes.ORDERS_DUPLICATE, duplicates);
    batchSpan.setAttribute(SpanlinksAttributes.LINK_CHUNKS, (long) chunkSpans);
    batchSpan.setAttribute(SpanlinksAttributes.CHUNK_TRACES, (long) chunkTraces);
    checkNoLinkDropped(batchSpan, batchSpanLinks);
    return batchSpan;
  }

  public long linkedCount() {
    return linked;
  }

  public int chunkSpanCount() {
    return chunkSpans;
  }

  /** Chunk traces this batch needed to keep every trace within the byte budget. */
  int chunkTraceCount() {
    return chunkTraces;
  }

  /**
   * Starts the batch span, or a chunk span once the batch span has started, with the pending links.
   *
   * @param batchComplete true when no link follows: a batch span started now takes no links after
   *     its pending ones (no chunk follows it), so its link list is sized to them
   */
  private void startPendingSpan(boolean batchComplete) {
    if (batchSpan == null) {
      SpanBuilder builder =
          (batchComplete
                  ? LinkCapacity.spanBuilder(
                      tracer.tracer(), SpanlinksAttributes.BATCH_SPAN_NAME, pending.size())
                  : tracer.tracer().spanBuilder(SpanlinksAttributes.BATCH_SPAN_NAME))
              .setSpanKind(SpanKind.CONSUMER)
              .setNoParent()
              .setAllAttributes(tracer.settings().client())
              .setAttribute(
                  MESSAGING_OPERATION_TYPE, MessagingOperationTypeIncubatingValues.PROCESS)
              .setAttribute(MESSAGING_OPERATION_NAME, "process")
              .setAttribute(MESSAGING_DESTINATION_NAME, tracer.settings().ordersTopic())
              .setAttribute(MESSAGING_CONSUMER_GROUP_NAME, tracer.settings().applicationId())
              .setAttribute(SpanlinksAttributes.BATCH_KEY, batchKey)
              .setAttribute(SpanlinksAttributes.WINDOW_START, windowStartText)
              .setAttribute(SpanlinksAttributes.WINDOW_END, windowEndText);
      for (AttributeKey<String> key :
          tracer
              .settings()
              .conventions()
              .keys(MessagingConventions.OLD_SYSTEM, MessagingConventions.NEW_SYSTEM)) {
        builder.setAttribute(key, KAFKA);
      }
      if (anyLinkSampled || sampledAhead.getAsBoolean()) {
        builder.setAttribute(SpanlinksAttributes.LINKS_SAMPLED, true);
      }
      batchSpan = start(withSharedLinkAttributes(builder), traceId, 0, List.of());
      batchSpanLinks = startedLinks;
      traceRoot = batchSpan.getSpanContext();
      traceBytes = CHUNK_TRACE_LINKS_RESERVE + CHUNK_SPAN_BYTES + pendingBytes;
    } else {
      chunkSpans++;
      // Its pending links, and the link to the batch span should it start a chunk trace.
      SpanBuilder builder =
          LinkCapacity.spanBuilder(
                  tracer.tracer(), SpanlinksAttributes.CHUNK_SPAN_NAME, pending.size() + 1)
              .setSpanKind(SpanKind.INTERNAL)
              .setAttribute(SpanlinksAttributes.BATCH_KEY, batchKey)
              .setAttribute(SpanlinksAttributes.LINK_CHUNK_INDEX, (long) chunkSpans)
              .setAttribute(SpanlinksAttributes.LINK_COUNT, (long) pending.size());
      long chunkBytes = CHUNK_SPAN_BYTES + pendingBytes;
      Span chunk;
      if (traceBytes + chunkBytes <= tracer.settings().traceMaxBytes()
          || chunkTraces == MAX_CHUNK_TRACES) {
        builder.setParent(Context.root().with(Span.wrap(traceRoot)));
        chunk =
            start(withSharedLinkAttributes(builder), traceRoot.getTraceId(), chunkSpans, List.of());
        traceBytes += chunkBytes;
        if (chunkTraces == MAX_CHUNK_TRACES && traceBytes > tracer.settings().traceMaxBytes()) {
          tracer.warnTraceOverBudgetOnce(MAX_CHUNK_TRACES);
        }
      } else {
        chunk = startChunkTrace(builder);
        traceBytes = TRACE_LINK_BYTES + chunkBytes;
      }
      checkNoLinkDropped(chunk, startedLinks);
      chunk.end();
      tracer.spanEnded();
    }
    if (tracer.settings().reverseLinks()) {
      startReverseSpans();
    }
    pending.clear();
    pendingBytes = 0;
  }

  /**
   * Starts a chunk as the root of a new trace, linked to the batch span, and links the batch span
   * to it: the way from the batch to the chunk's orders and back.
   */
  private Span startChunkTrace(SpanBuilder builder) {
    chunkTraces++;
    builder.setNoParent();
    Span root =
        start(
            withSharedLinkAttributes(builder),
            ids.chunkTraceId(chunkTraces),
            chunkSpans,
            List.of(
                new PendingLink(
                    batchSpan.getSpanContext(),
                    Attributes.of(SpanlinksAttributes.LINK_TO, SpanlinksAttributes.LINK_TO_BATCH),
                    null)));
    traceRoot = root.getSpanContext();
    batchSpanLinks++;
    batchSpan.addLink(
        traceRoot,
        Attributes.of(SpanlinksAttributes.LINK_TO, SpanlinksAttributes.LINK_TO_CHUNK_TRACE));
    return root;
  }

  /**
   * One small span per linked order, in the order's own trace (parented on its context) and linked
   * to the batch span, so even a backend that cannot query links in reverse shows, from the order,
   * which batch took it. The order's sampling decision applies, as for any child span.
   */
  @SuppressWarnings("try") // the scope only has to be open while the span starts
  private void startReverseSpans() {
    SpanContext batch = batchSpan.getSpanContext();
    Attributes linkAttributes = Attributes.of(SpanlinksAttributes.BATCH_KEY, batchKey);
    for (PendingLink link : pending) {
      SpanContext order = link.spanContext();
      Context parent = Context.root().with(Span.wrap(order));
      SpanBuilder reverse =
          LinkCapacity.spanBuilder(tracer.tracer(), SpanlinksAttributes.REVERSE_SPAN_NAME, 1)
              .setSpanKind(SpanKind.INTERNAL)
              .setParent(parent)
              .addLink(batch, linkAttributes)
              .setAttribute(SpanlinksAttributes.BATCH_KEY, batchKey)
              .setAttribute(SpanlinksAttributes.WINDOW_START, windowStartText)
              .setAttribute(SpanlinksAttributes.ORDER_ID, link.orderId());
      String spanId =
          ids.reverseSpanId(order.getTraceId(), order.getSpanId(), String.valueOf(link.orderId()));
      // Its id from the batch and the order: a re-emitted batch gives the order's trace the same
      // reverse span again, not a second one.
      try (Scope ignored =
          DeterministicIdGenerator.withIds(Context.current(), order.getTraceId(), spanId)
              .makeCurrent()) {
        reverse.startSpan().end();
      }
      tracer.spanEnded();
    }
  }

  /**
   * Starts a span with the pending links (after {@code firstLinks}) and the ids of chunk {@code
   * chunkIndex} in trace {@code spanTraceId}.
   */
  @SuppressWarnings("try") // the scope only has to be open while the span starts
  private Span start(
      SpanBuilder builder, String spanTraceId, int chunkIndex, List<PendingLink> firstLinks) {
    for (PendingLink link : firstLinks) {
      builder.addLink(link.spanContext(), link.attributes());
    }
    for (PendingLink link : pending) {
      builder.addLink(link.spanContext(), link.attributes());
    }
    startedLinks = firstLinks.size() + pending.size();
    tracer.linksAdded(startedLinks);
    String spanId = ids.spanId(chunkIndex);
    Span span;
    try (Scope ignored =
        DeterministicIdGenerator.withIds(Context.current(), spanTraceId, spanId).makeCurrent()) {
      span = builder.startSpan();
    }
    SpanContext started = span.getSpanContext();
    if (started.isValid() && !started.getSpanId().equals(spanId)) {
      tracer.warnRandomIdsOnce();
    }
    return span;
  }

  /**
   * Only an SDK span can tell; other implementations are trusted. A span no larger than one that
   * kept all its links is not checked again.
   */
  private void checkNoLinkDropped(Span span, int links) {
    if (tracer.linksKnownKept(links)) {
      return;
    }
    if (span instanceof ReadableSpan readable) {
      SpanData data = readable.toSpanData();
      long dropped = (long) data.getTotalRecordedLinks() - data.getLinks().size();
      if (dropped > 0) {
        tracer.warnDroppedLinksOnce(dropped);
      } else {
        tracer.linksKept(links);
      }
    }
  }

  private record PendingLink(SpanContext spanContext, Attributes attributes, String orderId) {}
}
