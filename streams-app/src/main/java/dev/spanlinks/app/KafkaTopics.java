package dev.spanlinks.app;

import dev.spanlinks.streams.BatchConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Checks that the cluster answers and creates the application's topics that are missing. */
final class KafkaTopics {
  private static final Logger log = LoggerFactory.getLogger(KafkaTopics.class);

  private KafkaTopics() {}

  /**
   * Creates the topics that are missing, then reads the brokers' record limits.
   *
   * @return the spanlinks settings the brokers' limits lower ({@link BrokerLimits}), and the
   *     cluster id for the batch spans unless the user set one
   */
  static Map<String, Object> ensure(BatchConfig config, TopicSettings settings, Duration timeout) {
    Properties adminProps = new Properties();
    config.streamsProperties().forEach((key, value) -> adminProps.put(key, value));
    adminProps.keySet().retainAll(AdminClientConfig.configNames());
    adminProps.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    adminProps.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    String bootstrap = String.valueOf(adminProps.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG));
    try (Admin admin = Admin.create(adminProps)) {
      Set<String> existing =
          admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      List<String> wanted =
          List.of(
              config.ordersTopic(),
              config.batchesTopic(),
              config.lateTopic(),
              config.deadLetterTopic());
      List<NewTopic> missing = new ArrayList<>();
      for (String topic : wanted) {
        if (!existing.contains(topic)) {
          boolean stampedOnWrite =
              topic.equals(config.lateTopic()) || topic.equals(config.deadLetterTopic());
          missing.add(newTopic(topic, settings, stampedOnWrite));
        }
      }
      if (!missing.isEmpty() && !settings.create()) {
        throw new StartupException(
            "Topics missing and topic creation is off: "
                + missing.stream().map(NewTopic::name).toList());
      }
      Map<String, org.apache.kafka.common.KafkaFuture<Void>> creations =
          missing.isEmpty() ? Map.of() : admin.createTopics(missing).values();
      for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> created :
          creations.entrySet()) {
        try {
          created.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          log.info("Created topic. topic=[{}]", created.getKey());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new StartupException(
                "Cannot create topic "
                    + created.getKey()
                    + ": "
                    + e.getCause().getMessage()
                    + " (create it yourself, or grant this client CREATE on the cluster)",
                e.getCause());
          }
        }
      }
      Map<String, Object> derived = new HashMap<>(BrokerLimits.read(admin, config, timeout));
      if (config.originals().get(BatchConfig.KAFKA_CLUSTER_ID_CONFIG) == null) {
        clusterId(admin, timeout)
            .ifPresent(id -> derived.put(BatchConfig.KAFKA_CLUSTER_ID_CONFIG, id));
      }
      return derived;
    } catch (AuthenticationException e) {
      throw StartupException.authenticationFailed(bootstrap, e);
    } catch (KafkaException e) {
      throw new StartupException(
          "Cannot connect to Kafka at " + bootstrap + ": " + e.getMessage(), e);
    } catch (TimeoutException e) {
      throw new StartupException(
          "Cannot reach Kafka at " + bootstrap + " within " + timeout.toSeconds() + " s", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof AuthenticationException failed) {
        throw StartupException.authenticationFailed(bootstrap, failed);
      }
      if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
        throw new StartupException(
            "Cannot reach Kafka at " + bootstrap + " within " + timeout.toSeconds() + " s", e);
      }
      throw new StartupException(
          "Kafka at " + bootstrap + " refused: " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("Interrupted while checking topics", e);
    }
  }

  /** The id the brokers report, for the batch spans; a broker that will not say stops nothing. */
  private static Optional<String> clusterId(Admin admin, Duration timeout)
      throws InterruptedException {
    try {
      return Optional.ofNullable(
          admin.describeCluster().clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (ExecutionException | TimeoutException e) {
      log.warn("Cannot read the Kafka cluster id ({}); batch spans go without it", e.toString());
      return Optional.empty();
    }
  }

  /**
   * A topic to create. The late and dead-letter topics ({@code stampedOnWrite}) get {@code
   * message.timestamp.type=LogAppendTime}: their records carry old event times, and retention
   * counts from a record's timestamp, so on a topic stamped with the producer's time an order more
   * than a week late (the default retention) would be deleted minutes after it was written.
   */
  static NewTopic newTopic(String name, TopicSettings settings, boolean stampedOnWrite) {
    NewTopic topic =
        new NewTopic(
            name,
            settings.partitions() < 1 ? Optional.empty() : Optional.of(settings.partitions()),
            settings.replicationFactor() < 1
                ? Optional.empty()
                : Optional.of(settings.replicationFactor()));
    return stampedOnWrite
        ? topic.configs(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"))
        : topic;
  }
}
