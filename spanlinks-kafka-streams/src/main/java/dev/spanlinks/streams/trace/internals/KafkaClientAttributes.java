package dev.spanlinks.streams.trace.internals;

import static io.opentelemetry.semconv.ServerAttributes.SERVER_ADDRESS;
import static io.opentelemetry.semconv.ServerAttributes.SERVER_PORT;
import static io.opentelemetry.semconv.incubating.MessagingIncubatingAttributes.MESSAGING_CLIENT_ID;

import dev.spanlinks.streams.trace.MessagingConventions;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import java.util.Optional;

/**
 * What the batch span says of the Kafka client that consumed the batch and of its cluster, as the
 * messaging conventions recommend: {@code messaging.client.id}, {@code server.address} and {@code
 * server.port} (of the first bootstrap server, as Kafka clients instrumentation reports them) and
 * the cluster id, under the names {@link MessagingConventions} chooses.
 */
public final class KafkaClientAttributes {
  private KafkaClientAttributes() {}

  /**
   * @param clientId the Kafka Streams client id (its clients' ids begin with it)
   * @param bootstrapServer one {@code host:port} entry of {@code bootstrap.servers}
   * @param clusterId the cluster id the brokers report
   */
  public static Attributes of(
      MessagingConventions conventions,
      Optional<String> clientId,
      Optional<String> bootstrapServer,
      Optional<String> clusterId) {
    AttributesBuilder builder = Attributes.builder();
    clientId.ifPresent(id -> builder.put(MESSAGING_CLIENT_ID, id));
    bootstrapServer.ifPresent(server -> putServer(builder, server));
    clusterId.ifPresent(
        id -> {
          for (AttributeKey<String> key :
              conventions.keys(
                  MessagingConventions.OLD_CLUSTER_ID, MessagingConventions.NEW_CLUSTER_ID)) {
            builder.put(key, id);
          }
        });
    return builder.build();
  }

  /** {@code host:port}, {@code [ipv6]:port} or a host alone; a port that is not one is left out. */
  static void putServer(AttributesBuilder builder, String server) {
    String host = server;
    String port = null;
    int colon = server.lastIndexOf(':');
    if (server.startsWith("[")) {
      int close = server.indexOf(']');
      if (close > 0) {
        host = server.substring(1, close);
        port =
            close + 1 < server.length() && server.charAt(close + 1) == ':'
                ? server.substring(close + 2)
                : null;
      }
    } else if (colon > 0 && server.indexOf(':') == colon) {
      host = server.substring(0, colon);
      port = server.substring(colon + 1);
    }
    if (host.isEmpty()) {
      return;
    }
    builder.put(SERVER_ADDRESS, host);
    if (port != null) {
      try {
        int number = Integer.parseInt(port);
        if (number > 0 && number <= 65_535) {
          builder.put(SERVER_PORT, (long) number);
        }
      } catch (NumberFormatException e) {
        // no port, then
      }
    }
  }

  /**
   * The Kafka Streams client id of the stream thread calling, from its name ({@code
   * <client.id>-StreamThread-<n>}, as Kafka Streams names them); empty on any other thread.
   */
  public static Optional<String> streamsClientIdOfThisThread() {
    String name = Thread.currentThread().getName();
    int at = name.lastIndexOf("-StreamThread-");
    return at > 0 ? Optional.of(name.substring(0, at)) : Optional.empty();
  }
}
