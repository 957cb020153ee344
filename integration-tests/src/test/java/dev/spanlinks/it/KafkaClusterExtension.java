package dev.spanlinks.it;

import dev.spanlinks.demo.EmbeddedKafka;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * Gives every integration test of a JVM the same real Kafka broker, as a {@link KafkaCluster}
 * parameter. In order of preference: the cluster named by {@code KAFKA_BOOTSTRAP_SERVERS}; an
 * {@code apache/kafka} container when a Docker engine answers; else the demo's embedded KRaft
 * broker in this JVM. Tests use topic and application ids of their own.
 */
public final class KafkaClusterExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KafkaClusterExtension.class);

  /** The broker the tests share. */
  public record KafkaCluster(String bootstrapServers, String kind) {}

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == KafkaCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .computeIfAbsent("cluster", key -> start(), Running.class)
        .cluster();
  }

  private static Running start() {
    String external = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
    if (external != null && !external.isBlank()) {
      return new Running(new KafkaCluster(external, "external"), () -> {});
    }
    if (DockerClientFactory.instance().isDockerAvailable()) {
      KafkaContainer container = new KafkaContainer("apache/kafka:4.4.0");
      container.start();
      return new Running(
          new KafkaCluster(container.getBootstrapServers(), "testcontainers"), container::stop);
    }
    try {
      EmbeddedKafka broker = EmbeddedKafka.start(Map.of("num.partitions", "3"));
      return new Running(new KafkaCluster(broker.bootstrapServers(), "embedded"), broker::close);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Closed by JUnit when the root context (the JVM's test run) ends. */
  private record Running(KafkaCluster cluster, Runnable stop) implements AutoCloseable {
    @Override
    public void close() {
      stop.run();
    }
  }
}
