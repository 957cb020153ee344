package dev.spanlinks.app;

import dev.spanlinks.streams.BatchConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The limits the brokers apply to what spanlinks writes, read once at start-up, as the spanlinks
 * settings they lower: {@code spanlinks.record.max.bytes} (the producer's {@code max.request.size},
 * the output topics' {@code max.message.bytes}, the brokers' {@code message.max.bytes} for the
 * changelog and repartition topics Kafka Streams creates), {@code spanlinks.max.future.ms} and
 * {@code spanlinks.max.past.ms} ({@code message.timestamp.after.max.ms} and {@code before.max.ms}).
 * A setting the user made lower stays. Limits that cannot be read (no DescribeConfigs permission)
 * keep Kafka's defaults, with a warning.
 */
final class BrokerLimits {
  private static final Logger log = LoggerFactory.getLogger(BrokerLimits.class);
  private static final int DEFAULT_MAX_REQUEST_SIZE = 1_048_576;

  private BrokerLimits() {}

  /** The settings to lower, with their new values; empty when nothing is lower than configured. */
  static Map<String, Object> read(Admin admin, BatchConfig config, Duration timeout)
      throws InterruptedException {
    long recordMaxBytes = Math.min(config.recordMaxBytes(), maxRequestSize(config));
    long maxFutureMs = config.maxFutureMs();
    long maxPastMs = config.maxPastMs();
    List<ConfigResource> resources = new ArrayList<>();
    for (String topic :
        List.of(config.batchesTopic(), config.lateTopic(), config.deadLetterTopic())) {
      resources.add(new ConfigResource(ConfigResource.Type.TOPIC, topic));
    }
    try {
      Collection<Node> brokers =
          admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      brokers.stream()
          .findFirst()
          .ifPresent(
              node ->
                  resources.add(new ConfigResource(ConfigResource.Type.BROKER, node.idString())));
      Map<ConfigResource, Config> configs =
          admin.describeConfigs(resources).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      for (Map.Entry<ConfigResource, Config> entry : configs.entrySet()) {
        boolean broker = entry.getKey().type() == ConfigResource.Type.BROKER;
        Config described = entry.getValue();
        String topic = entry.getKey().name();
        if (!broker
            && (topic.equals(config.lateTopic()) || topic.equals(config.deadLetterTopic()))) {
          warnIfDeletedByEventTime(topic, described);
        }
        recordMaxBytes =
            Math.min(
                recordMaxBytes,
                value(
                    described,
                    broker ? "message.max.bytes" : TopicConfig.MAX_MESSAGE_BYTES_CONFIG));
        maxFutureMs =
            Math.min(
                maxFutureMs,
                value(
                    described,
                    broker
                        ? "log.message.timestamp.after.max.ms"
                        : TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG));
        maxPastMs =
            Math.min(
                maxPastMs,
                value(
                    described,
                    broker
                        ? "log.message.timestamp.before.max.ms"
                        : TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG));
      }
    } catch (ExecutionException | TimeoutException e) {
      log.warn(
          "Cannot read the brokers' record limits ({}); assuming Kafka's defaults: records of at"
              + " most {} bytes, timestamps at most {} ms ahead. Grant DescribeConfigs on the"
              + " topics and cluster, or set {} and {} to the brokers' values.",
          e.getCause() == null ? e.toString() : e.getCause().toString(),
          recordMaxBytes,
          maxFutureMs,
          BatchConfig.RECORD_MAX_BYTES_CONFIG,
          BatchConfig.MAX_FUTURE_MS_CONFIG);
    }
    if (recordMaxBytes < BatchConfig.MIN_RECORD_MAX_BYTES) {
      throw new StartupException(
          "Records of at most "
              + recordMaxBytes
              + " bytes can be written (max.request.size, max.message.bytes of the output topics,"
              + " message.max.bytes of the brokers): spanlinks needs at least "
              + BatchConfig.MIN_RECORD_MAX_BYTES);
    }
    Map<String, Object> lowered = new HashMap<>();
    if (recordMaxBytes < config.recordMaxBytes()) {
      lowered.put(BatchConfig.RECORD_MAX_BYTES_CONFIG, (int) recordMaxBytes);
    }
    if (maxFutureMs < config.maxFutureMs()) {
      lowered.put(BatchConfig.MAX_FUTURE_MS_CONFIG, maxFutureMs);
    }
    if (maxPastMs < config.maxPastMs()) {
      lowered.put(BatchConfig.MAX_PAST_MS_CONFIG, maxPastMs);
    }
    log.info(
        "Write limits. recordMaxBytes=[{}] maxFutureMs=[{}] maxPastMs=[{}] batchKeyMaxBytes=[{}]",
        recordMaxBytes,
        maxFutureMs,
        maxPastMs == Long.MAX_VALUE ? "none" : maxPastMs,
        config.batchKeyMaxBytes());
    return lowered;
  }

  /**
   * Late orders and dead letters keep their event times. On a topic stamped with them ({@code
   * CreateTime}) and a finite retention, one older than the retention is deleted soon after it is
   * written: say so. spanlinks creates these topics with {@code LogAppendTime}.
   */
  private static void warnIfDeletedByEventTime(String topic, Config described) {
    ConfigEntry type = described.get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG);
    long retentionMs = value(described, TopicConfig.RETENTION_MS_CONFIG);
    if (type != null
        && "CreateTime".equals(type.value())
        && retentionMs >= 0
        && retentionMs != Long.MAX_VALUE) {
      log.warn(
          "Topic {} keeps records by their own timestamps (message.timestamp.type=CreateTime),"
              + " and spanlinks writes event times there: a record more than retention.ms ({} ms)"
              + " old is deleted soon after it is written. Set message.timestamp.type="
              + "LogAppendTime on {}, as spanlinks does when it creates the topic.",
          topic,
          retentionMs,
          topic);
    }
  }

  /** The producer's {@code max.request.size}, as Kafka Streams' producer will have it. */
  private static long maxRequestSize(BatchConfig config) {
    Map<String, Object> originals = config.originals();
    Object value =
        originals.getOrDefault(
            StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
            originals.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
    return value == null ? DEFAULT_MAX_REQUEST_SIZE : Long.parseLong(value.toString().trim());
  }

  private static long value(Config config, String name) {
    ConfigEntry entry = config.get(name);
    if (entry == null || entry.value() == null || entry.value().isBlank()) {
      return Long.MAX_VALUE;
    }
    try {
      return Long.parseLong(entry.value().trim());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }
}
