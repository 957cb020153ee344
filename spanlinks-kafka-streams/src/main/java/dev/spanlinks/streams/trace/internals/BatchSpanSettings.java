package dev.spanlinks.streams.trace.internals;

import dev.spanlinks.streams.trace.MessagingConventions;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import io.opentelemetry.api.common.Attributes;
import java.util.Objects;

/**
 * What every batch span of one application shares.
 *
 * @param applicationId the Kafka Streams application id: the consumer group, and an input of the
 *     deterministic batch ids
 * @param ordersTopic the topic the orders were consumed from ({@code messaging.destination.name})
 * @param linksPerSpan the most links one span carries; the rest go to link chunk spans
 * @param reverseLinks whether each linked order also gets a {@value
 *     SpanlinksAttributes#REVERSE_SPAN_NAME} span in its own trace, linked to the batch span: the
 *     way back for backends that cannot query links in reverse
 * @param batchIdsNamespace what the deterministic batch ids derive from besides batch key and
 *     window; the application id unless the user chose another ({@code
 *     spanlinks.batch.ids.namespace}), so a re-run under a new application id can re-emit the same
 *     batch ids
 * @param linkAttributes what each link carries besides the order's span context
 * @param ordersFromManyPartitions true when one batch's orders can come from several input
 *     partitions ({@code spanlinks.repartition.by.key}): the partition then goes on each link, not
 *     on the batch span
 * @param traceMaxBytes the most OTLP bytes of any one trace ({@code spanlinks.trace.max.bytes})
 * @param conventions which names of the messaging conventions the spans carry
 * @param client what the batch span says of the Kafka client and cluster (client id, server address
 *     and port, cluster id), keyed as {@code conventions} says; empty when unknown
 */
public record BatchSpanSettings(
    String applicationId,
    String ordersTopic,
    int linksPerSpan,
    boolean reverseLinks,
    String batchIdsNamespace,
    LinkAttributes linkAttributes,
    boolean ordersFromManyPartitions,
    long traceMaxBytes,
    MessagingConventions conventions,
    Attributes client) {

  /** Below Grafana Tempo's default {@code max_bytes_per_trace} (5,000,000) with room to spare. */
  public static final long DEFAULT_TRACE_MAX_BYTES = 4_000_000;

  /** The smallest budget: room for the links to chunk traces and a few hundred order links. */
  public static final long MIN_TRACE_MAX_BYTES = 200_000;

  /** Batch ids derived from the application id, standard link attributes, no repartition. */
  public BatchSpanSettings(
      String applicationId, String ordersTopic, int linksPerSpan, boolean reverseLinks) {
    this(applicationId, ordersTopic, linksPerSpan, reverseLinks, applicationId);
  }

  /** Standard link attributes, no repartition. */
  public BatchSpanSettings(
      String applicationId,
      String ordersTopic,
      int linksPerSpan,
      boolean reverseLinks,
      String batchIdsNamespace) {
    this(
        applicationId,
        ordersTopic,
        linksPerSpan,
        reverseLinks,
        batchIdsNamespace,
        LinkAttributes.STANDARD,
        false,
        DEFAULT_TRACE_MAX_BYTES);
  }

  /** The messaging names of before semantic conventions v1.45, nothing known of the client. */
  public BatchSpanSettings(
      String applicationId,
      String ordersTopic,
      int linksPerSpan,
      boolean reverseLinks,
      String batchIdsNamespace,
      LinkAttributes linkAttributes,
      boolean ordersFromManyPartitions,
      long traceMaxBytes) {
    this(
        applicationId,
        ordersTopic,
        linksPerSpan,
        reverseLinks,
        batchIdsNamespace,
        linkAttributes,
        ordersFromManyPartitions,
        traceMaxBytes,
        MessagingConventions.OLD,
        Attributes.empty());
  }

  public BatchSpanSettings {
    Objects.requireNonNull(applicationId, "applicationId");
    Objects.requireNonNull(conventions, "conventions");
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(batchIdsNamespace, "batchIdsNamespace");
    Objects.requireNonNull(ordersTopic, "ordersTopic");
    Objects.requireNonNull(linkAttributes, "linkAttributes");
    if (traceMaxBytes < MIN_TRACE_MAX_BYTES) {
      throw new IllegalArgumentException("traceMaxBytes must be >= " + MIN_TRACE_MAX_BYTES);
    }
    if (linksPerSpan < 1) {
      throw new IllegalArgumentException("linksPerSpan must be >= 1");
    }
  }
}
