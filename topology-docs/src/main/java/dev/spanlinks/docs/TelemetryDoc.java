package dev.spanlinks.docs;

import dev.spanlinks.streams.trace.MessagingConventions;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.PointData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * TELEMETRY.md: span names and kinds, their attributes, link attributes and metrics, as emitted by
 * a {@link SampleRun}. Descriptions come from the table below; an emitted key without one renders
 * as {@value #UNDOCUMENTED}, which the drift test rejects.
 */
final class TelemetryDoc {
  static final String UNDOCUMENTED = "(undocumented)";

  private static final Map<String, String> DESCRIPTIONS =
      Map.ofEntries(
          Map.entry("messaging.system", "Always `kafka` (before semantic conventions v1.45)."),
          Map.entry("messaging.system.name", "Always `kafka` (v1.45)."),
          Map.entry("kafka.offset", "Offset of the order's record (v1.45)."),
          Map.entry(
              "kafka.message.key",
              "The orders' record key, the batch key: on the batch span (and each link with"
                  + " `all`) (v1.45)."),
          Map.entry(
              "messaging.kafka.cluster.id",
              "The Kafka cluster's id, read from the brokers at start-up"
                  + " (`spanlinks.kafka.cluster.id`)."),
          Map.entry(
              "kafka.cluster.id",
              "The Kafka cluster's id, read from the brokers at start-up (v1.45)."),
          Map.entry(
              "messaging.client.id",
              "The Kafka Streams `client.id`, which its consumers' and producers' ids begin with."),
          Map.entry("server.address", "Host of the first of the `bootstrap.servers`."),
          Map.entry("server.port", "Port of the first of the `bootstrap.servers`."),
          Map.entry("messaging.operation.type", "Always `process`."),
          Map.entry("messaging.operation.name", "Always `process`."),
          Map.entry("messaging.destination.name", "The orders topic the batch was consumed from."),
          Map.entry("messaging.consumer.group.name", "The Kafka Streams `application.id`."),
          Map.entry("messaging.batch.message_count", "Orders in the batch, linked or not."),
          Map.entry(
              "messaging.kafka.offset",
              "Offset of the order's record (before semantic conventions v1.45)."),
          Map.entry(
              "messaging.destination.partition.id",
              "Partition of the order's record; on the batch span, of all its orders (unless"
                  + " repartitioned by key)."),
          Map.entry(
              "messaging.kafka.message.key",
              "The orders' record key, the batch key: on the batch span (and each link with"
                  + " `all`) (before semantic conventions v1.45)."),
          Map.entry("spanlinks.batch.key", "The batch key (the input record key)."),
          Map.entry("spanlinks.window.start", "Window start, ISO-8601, inclusive."),
          Map.entry("spanlinks.window.end", "Window end, ISO-8601, exclusive."),
          Map.entry("spanlinks.orders.linked", "Orders linked (valid trace context)."),
          Map.entry("spanlinks.orders.unlinked", "Orders without a usable trace context."),
          Map.entry("spanlinks.orders.duplicate", "Redeliveries of an order id, counted once."),
          Map.entry("spanlinks.link.chunks", "Child `process orders chunk` spans of this batch."),
          Map.entry("spanlinks.link.chunk.index", "1-based index of this chunk span."),
          Map.entry(
              "spanlinks.chunk.traces",
              "Chunk traces of this batch: chunks kept in traces of their own so that no trace"
                  + " passes `spanlinks.trace.max.bytes`, each linked with the batch span both"
                  + " ways (links marked `spanlinks.link.to`)."),
          Map.entry(
              "spanlinks.link.to",
              "On a link that is not an order's: `batch` (from a chunk trace's root to the batch"
                  + " span) or `chunk_trace` (from the batch span to a chunk trace's root)."),
          Map.entry("spanlinks.link.count", "Links on this chunk span."),
          Map.entry("spanlinks.order.id", "The linked order's id."),
          Map.entry("spanlinks.order.event_time", "The linked order's event time, ISO-8601."),
          Map.entry("spanlinks.outcome", "`batched`, `late` or `dead_lettered`."),
          Map.entry(
              "spanlinks.links.sampled",
              "Present (true) when any order of the batch, in any chunk, arrived sampled."),
          Map.entry("spanlinks.orders", "Orders by outcome."));

  private static final Map<String, String> SPAN_NOTES =
      Map.of(
          "process orders",
          "One per closed (batch key, window), linked to every order (up to"
              + " `spanlinks.links.per.span`).",
          "process orders chunk",
          "The links past `spanlinks.links.per.span`, that many per chunk. A chunk that would take"
              + " the batch's trace past `spanlinks.trace.max.bytes` starts a chunk trace instead:"
              + " it is then a root span linked with the batch span both ways, and later chunks"
              + " join its trace.",
          "batched",
          "Only with `spanlinks.reverse.links=true`: one per linked order, in the order's own"
              + " trace, linked to the batch span (the way back).");

  private TelemetryDoc() {}

  /**
   * @param runs the same sample run under each choice of messaging names, {@link
   *     MessagingConventions#OLD} first: span names and metrics come from it, and each attribute
   *     table has a column per choice
   */
  static String render(Map<MessagingConventions, SampleRun> runs) {
    SampleRun run = runs.get(MessagingConventions.OLD);
    StringBuilder out = new StringBuilder();
    out.append("# Telemetry\n\n")
        .append("Generated by the topology-docs module from the spans and metrics of a real run")
        .append(" of the topology; do not edit.\n\n")
        .append("Messaging attribute names follow `OTEL_SEMCONV_STABILITY_OPT_IN` (or the system")
        .append(" property `otel.semconv-stability.opt-in`): by default the names of before")
        .append(" semantic conventions v1.45; `messaging`: the v1.45 names only;")
        .append(" `messaging/dup`: both. The columns say which keys each choice writes.\n\n")
        .append("## Spans\n\n");
    Map<String, SpanData> byName = new TreeMap<>();
    run.spans().forEach(span -> byName.putIfAbsent(span.getName(), span));
    Map<String, String> namesById = new TreeMap<>();
    run.spans().forEach(span -> namesById.put(span.getSpanId(), span.getName()));
    for (SpanData span : byName.values()) {
      String parent;
      if (!span.getParentSpanContext().isValid()) {
        parent = "none (a new trace)";
      } else if (span.getParentSpanContext().isRemote()) {
        parent = "the linked order's span (its own trace)";
      } else {
        parent = "`" + namesById.getOrDefault(span.getParentSpanId(), "?") + "` (same trace)";
      }
      out.append("### `")
          .append(span.getName())
          .append("`\n\n")
          .append(SPAN_NOTES.getOrDefault(span.getName(), UNDOCUMENTED))
          .append(" Kind ")
          .append(span.getKind())
          .append(", parent: ")
          .append(parent)
          .append(".\n\n");
      Map<MessagingConventions, Attributes> spanAttributes =
          new EnumMap<>(MessagingConventions.class);
      Map<MessagingConventions, Attributes> linkAttributes =
          new EnumMap<>(MessagingConventions.class);
      runs.forEach(
          (conventions, sample) -> {
            AttributesBuilder spanKeys = Attributes.builder();
            AttributesBuilder linkKeys = Attributes.builder();
            for (SpanData same : sample.spans()) {
              if (same.getName().equals(span.getName())) {
                spanKeys.putAll(same.getAttributes());
                same.getLinks().forEach(link -> linkKeys.putAll(link.getAttributes()));
              }
            }
            spanAttributes.put(conventions, spanKeys.build());
            linkAttributes.put(conventions, linkKeys.build());
          });
      attributes(out, "Attributes", spanAttributes);
      if (linkAttributes.values().stream().anyMatch(attributes -> !attributes.isEmpty())) {
        attributes(
            out,
            "Link attributes (one link per order; these with `spanlinks.link.attributes=all`, the"
                + " default `standard` carries the offset only)",
            linkAttributes);
      }
    }
    out.append(
        "## Metrics\n\n| name | type | unit | description | attributes |\n|---|---|---|---|---|\n");
    run.metrics().stream()
        .sorted(Comparator.comparing(MetricData::getName))
        .forEach(
            metric -> {
              TreeSet<String> keys = new TreeSet<>();
              for (PointData point : metric.getData().getPoints()) {
                point.getAttributes().forEach((key, value) -> keys.add("`" + key.getKey() + "`"));
              }
              out.append("| `")
                  .append(metric.getName())
                  .append("` | ")
                  .append(metric.getType())
                  .append(" | `")
                  .append(metric.getUnit())
                  .append("` | ")
                  .append(metric.getDescription())
                  .append(" | ")
                  .append(String.join(", ", keys))
                  .append(" |\n");
            });
    return out.toString();
  }

  private static void attributes(
      StringBuilder out, String title, Map<MessagingConventions, Attributes> byConventions) {
    out.append(title).append(":\n\n| key | type | meaning |");
    byConventions
        .keySet()
        .forEach(conventions -> out.append(' ').append(column(conventions)).append(" |"));
    out.append("\n|---|---|---|");
    byConventions.keySet().forEach(conventions -> out.append("---|"));
    out.append('\n');
    TreeMap<String, AttributeKey<?>> keys = new TreeMap<>();
    byConventions
        .values()
        .forEach(attributes -> attributes.forEach((key, value) -> keys.put(key.getKey(), key)));
    keys.forEach(
        (name, key) -> {
          out.append("| `")
              .append(name)
              .append("` | ")
              .append(key.getType().name().toLowerCase(java.util.Locale.ROOT))
              .append(" | ")
              .append(DESCRIPTIONS.getOrDefault(name, UNDOCUMENTED))
              .append(" |");
          byConventions
              .values()
              .forEach(
                  attributes ->
                      out.append(attributes.asMap().containsKey(key) ? " yes |" : " - |"));
          out.append('\n');
        });
    out.append('\n');
  }

  /** The column head of a choice of messaging names. */
  private static String column(MessagingConventions conventions) {
    return conventions == MessagingConventions.OLD
        ? "default"
        : "`" + conventions.optInValue() + "`";
  }
}
