package dev.spanlinks.streams.trace;

import java.util.Objects;

/**
 * What every batch span of one application shares.
 *
 * @param applicationId the Kafka Streams application id: the consumer group, and an input of the
 *     deterministic batch ids
 * @param ordersTopic the topic the orders were consumed from ({@code messaging.destination.name})
 * @param linksPerSpan the most links one span carries; the rest go to link chunk spans
 * @param reverseLinks whether each linked order also gets a {@value BatchSpans#REVERSE_SPAN_NAME}
 *     span in its own trace, linked to the batch span: the way back for backends that cannot query
 *     links in reverse
 */
public record BatchSpanSettings(
    String applicationId, String ordersTopic, int linksPerSpan, boolean reverseLinks) {

  public BatchSpanSettings {
    Objects.requireNonNull(applicationId, "applicationId");
    Objects.requireNonNull(ordersTopic, "ordersTopic");
    if (linksPerSpan < 1) {
      throw new IllegalArgumentException("linksPerSpan must be >= 1");
    }
  }
}
