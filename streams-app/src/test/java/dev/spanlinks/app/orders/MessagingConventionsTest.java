package dev.spanlinks.app.orders;

import static dev.spanlinks.app.orders.TestOrder.traced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.trace.MessagingConventions;
import dev.spanlinks.streams.trace.SpanlinksAttributes;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code OTEL_SEMCONV_STABILITY_OPT_IN} as the specification reads it, and the keys the batch span
 * and its links carry under each choice (issue 26): the old names by default, the v1.45 names only
 * with {@code messaging}, both with {@code messaging/dup}; the keys v1.45 did not rename, and the
 * recommended client attributes, under every choice.
 */
class MessagingConventionsTest {
  @TempDir Path stateDir;

  @ParameterizedTest(name = "\"{0}\" -> {1}")
  @CsvSource(
      delimiter = '|',
      nullValues = "null",
      value = {
        "null | OLD",
        "'' | OLD",
        "http | OLD",
        "messaging | NEW",
        "' http , messaging ' | NEW",
        "messaging/dup | DUP",
        "messaging,messaging/dup | DUP",
        "messaging/dup,messaging | DUP",
        "http/dup,database | OLD",
        "messagingx | OLD",
        "MESSAGING | OLD",
      })
  void shouldReadTheOptInAsTheSpecificationSays(String optIn, MessagingConventions expected) {
    assertThat(MessagingConventions.fromOptIn(optIn)).isEqualTo(expected);
  }

  @ParameterizedTest
  @EnumSource(MessagingConventions.class)
  void shouldWriteTheNamesTheOptInChoosesOnBatchSpanAndLinks(MessagingConventions conventions) {
    Map<String, Object> settings =
        Map.of(
            MessagingConventions.OPT_IN_PROPERTY,
            conventions.optInValue(),
            BatchConfig.LINK_ATTRIBUTES_CONFIG,
            "all",
            "client.id",
            "spanlinks-7",
            "bootstrap.servers",
            "kafka-1.example:9093,kafka-2.example:9093",
            BatchConfig.KAFKA_CLUSTER_ID_CONFIG,
            "Hk2-6oNkT-S2zE5fUHmLUA");
    try (TopologyFixture fixture = new TopologyFixture(stateDir, settings)) {
      fixture.send(traced(1).at("2026-01-15T10:05:00Z"));
      fixture.send(traced(2).at("2026-01-15T10:06:00Z"));
      fixture.send(traced(99).at("2026-01-15T11:05:00Z"));

      SpanData batch = fixture.finishedSpans().get(0);
      assertThat(batch.getName()).isEqualTo(SpanlinksAttributes.BATCH_SPAN_NAME);
      Attributes span = batch.getAttributes();
      boolean old = conventions != MessagingConventions.NEW;
      boolean current = conventions != MessagingConventions.OLD;
      assertPresent(span, "messaging.system", old ? "kafka" : null);
      assertPresent(span, "messaging.system.name", current ? "kafka" : null);
      assertPresent(span, "messaging.kafka.message.key", old ? "eu" : null);
      assertPresent(span, "kafka.message.key", current ? "eu" : null);
      assertPresent(span, "messaging.kafka.cluster.id", old ? "Hk2-6oNkT-S2zE5fUHmLUA" : null);
      assertPresent(span, "kafka.cluster.id", current ? "Hk2-6oNkT-S2zE5fUHmLUA" : null);
      // Not renamed: the same under every choice.
      assertPresent(span, "messaging.client.id", "spanlinks-7");
      assertPresent(span, "server.address", "kafka-1.example");
      assertThat(span.get(AttributeKey.longKey("server.port"))).isEqualTo(9093L);
      assertPresent(span, "messaging.destination.name", "orders");
      assertPresent(span, "messaging.destination.partition.id", "0");

      assertThat(batch.getLinks()).hasSize(2);
      for (LinkData link : batch.getLinks()) {
        Set<String> keys =
            link.getAttributes().asMap().keySet().stream()
                .map(AttributeKey::getKey)
                .collect(Collectors.toSet());
        assertThat(keys.contains("messaging.kafka.offset")).as("old offset key").isEqualTo(old);
        assertThat(keys.contains("kafka.offset")).as("new offset key").isEqualTo(current);
        assertThat(keys.contains("messaging.kafka.message.key")).isEqualTo(old);
        assertThat(keys.contains("kafka.message.key")).isEqualTo(current);
        assertThat(keys).contains("messaging.destination.partition.id", "spanlinks.order.id");
        if (old && current) {
          assertThat(link.getAttributes().get(MessagingConventions.OLD_OFFSET))
              .isEqualTo(link.getAttributes().get(MessagingConventions.NEW_OFFSET));
        }
      }
    }
  }

  @Test
  void shouldLeaveOutWhatIsNotKnownOfTheClient() {
    try (TopologyFixture fixture = new TopologyFixture(stateDir, Map.of())) {
      fixture.send(traced(1).at("2026-01-15T10:05:00Z"));
      fixture.send(traced(99).at("2026-01-15T11:05:00Z"));

      Attributes span = fixture.finishedSpans().get(0).getAttributes();
      List<String> keys = span.asMap().keySet().stream().map(AttributeKey::getKey).toList();
      // The test thread is no stream thread and sets no client.id; no cluster id is configured.
      assertThat(keys)
          .doesNotContain("messaging.client.id", "messaging.kafka.cluster.id", "kafka.cluster.id")
          .contains("server.address", "server.port", "messaging.system");
    }
  }

  private static void assertPresent(Attributes attributes, String key, String value) {
    assertThat(attributes.get(AttributeKey.stringKey(key))).as(key).isEqualTo(value);
  }
}
