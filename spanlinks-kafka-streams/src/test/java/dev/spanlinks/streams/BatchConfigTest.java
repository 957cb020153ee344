package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class BatchConfigTest {

  @Test
  void shouldApplyDefaultsAndPassKafkaKeysThrough() {
    BatchConfig config =
        new BatchConfig(Map.of("application.id", "app", "bootstrap.servers", "broker:9092"));
    assertThat(config.windowSizeMs()).isEqualTo(3_600_000L);
    assertThat(config.windowGraceMs()).isEqualTo(300_000L);
    assertThat(config.linksPerSpan()).isEqualTo(1000);
    assertThat(config.deadLetterTopic()).isEqualTo("orders-dlq");

    Properties streams = config.streamsProperties();
    assertThat(streams.get("bootstrap.servers")).isEqualTo("broker:9092");
    assertThat(streams.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo("exactly_once_v2");
    assertThat(streams.get(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG))
        .isEqualTo(true);
    assertThat(streams.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG))
        .isEqualTo("orders-dlq");
    assertThat(streams.get(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG))
        .isEqualTo(DeadLetterHandler.class.getName());
    assertThat(streams.get("producer.transaction.timeout.ms"))
        .as("a million-order window closes in one transaction; Kafka Streams' 10 s is too short")
        .isEqualTo(300_000);
    assertThat(streams.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo(1_000L);
    assertThat(streams.get(StreamsConfig.DEFAULT_CLIENT_SUPPLIER_CONFIG))
        .as("commits wait for the spans of the closes before them")
        .isEqualTo(SpansBeforeCommitClientSupplier.class.getName());
  }

  @Test
  void shouldLetUserSettingsWinOverOurDefaults() {
    BatchConfig config =
        new BatchConfig(
            Map.of(
                "application.id", "app",
                "processing.guarantee", "at_least_once",
                "errors.dead.letter.queue.topic.name", "bad-orders"));
    assertThat(config.deadLetterTopic()).isEqualTo("bad-orders");
    assertThat(config.streamsProperties().get("processing.guarantee")).isEqualTo("at_least_once");
    assertThat(
            new BatchConfig(
                    Map.of("application.id", "app", "producer.transaction.timeout.ms", 60_000))
                .streamsProperties()
                .get("producer.transaction.timeout.ms"))
        .isEqualTo(60_000);
  }

  @Test
  void shouldRejectMissingApplicationIdAndBadValues() {
    assertThatThrownBy(() -> new BatchConfig(Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("application.id");
    assertThatThrownBy(
            () -> new BatchConfig(Map.of("application.id", "a", "spanlinks.links.per.span", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("spanlinks.links.per.span");
    assertThatThrownBy(
            () -> new BatchConfig(Map.of("application.id", "a", "spanlinks.window.size.ms", "x")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("spanlinks.window.size.ms");
  }

  @Test
  void shouldRefuseAnUnknownSpanlinksKeyNamingTheNearestKnownOne() {
    assertThatThrownBy(
            () ->
                new BatchConfig(Map.of("application.id", "a", "spanlinks.dead.letter.topic", "x")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("Unknown setting spanlinks.dead.letter.topic");
    assertThatThrownBy(
            () -> new BatchConfig(Map.of("application.id", "a", "spanlinks.window.size", "1")))
        .hasMessageContaining("(did you mean spanlinks.window.size.ms?)");
    assertThatThrownBy(
            () ->
                new BatchConfig(Map.of("application.id", "a", "spanlinks.zzzzzzzzzzzzzzzzzz", "1")))
        .as("nothing close: no guess")
        .hasMessageNotContaining("did you mean");
    assertThat(
            new BatchConfig(
                    Map.of(
                        "application.id", "a",
                        "linger.ms", "5",
                        "my.own.key", "kept",
                        "spanlinks.internal.batch.ids.partition", "3"))
                .originals())
        .as("Kafka's keys, a user's own and spanlinks' internal ones pass")
        .containsEntry("my.own.key", "kept");
  }

  @Test
  void shouldRejectOneTopicForTwoPurposes() {
    assertThatThrownBy(
            () ->
                new BatchConfig(
                    Map.of("application.id", "a", "spanlinks.late.topic", "order-batches")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("four different topics");
  }

  @Test
  void shouldRefuseToRunWithoutDeadLetterTopic() {
    DeadLetterHandler handler = new DeadLetterHandler();
    assertThatThrownBy(() -> handler.configure(Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("errors.dead.letter.queue.topic.name");
  }
}
