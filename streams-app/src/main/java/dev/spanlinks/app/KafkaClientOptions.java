package dev.spanlinks.app;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Option;

/**
 * The cluster options of {@code export} and {@code import}: a Kafka-style properties file whose
 * client keys pass through (security, timeouts, ...), and the bootstrap servers. {@code run} and
 * the demo's {@code produce} read their files the same way.
 */
public final class KafkaClientOptions {
  @Option(
      names = "--bootstrap-servers",
      defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS}",
      description = "Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS).")
  String bootstrapServers;

  @Option(
      names = "--config",
      description =
          "Properties file of Kafka client keys (the run command's file works: keys a client"
              + " does not know are ignored).")
  Path configFile;

  /** The client settings, bootstrap servers included. */
  Map<String, Object> settings() throws IOException {
    return clientSettings(configFile, bootstrapServers);
  }

  /**
   * The file's keys (none when {@code configFile} is null), then {@code bootstrapServers} over its
   * {@code bootstrap.servers}; fails when neither names a cluster.
   */
  static Map<String, Object> clientSettings(Path configFile, String bootstrapServers)
      throws IOException {
    Map<String, Object> settings = new HashMap<>();
    if (configFile != null) {
      settings.putAll(loadProperties(configFile));
    }
    if (bootstrapServers != null && !bootstrapServers.isBlank()) {
      settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    }
    if (!settings.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
      throw new StartupException(
          "No Kafka cluster given: use --bootstrap-servers, KAFKA_BOOTSTRAP_SERVERS, or"
              + " bootstrap.servers in --config");
    }
    return settings;
  }

  /** A Kafka-style properties file as client settings; a missing file is a one-line error. */
  public static Map<String, Object> loadProperties(Path file) throws IOException {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      properties.load(reader);
    } catch (NoSuchFileException e) {
      throw new StartupException("Config file not found: " + file);
    }
    Map<String, Object> settings = new HashMap<>();
    properties.forEach((key, value) -> settings.put(key.toString(), value));
    return settings;
  }
}
