package dev.spanlinks.docs;

import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

/** CONFIGURATION.md: every spanlinks setting, straight from its {@link ConfigDef}. */
final class ConfigurationDoc {
  private ConfigurationDoc() {}

  static String render(ConfigDef definitions) {
    StringBuilder out = new StringBuilder();
    out.append("# Configuration\n\n")
        .append("Generated from `BatchConfig`'s `ConfigDef` by the topology-docs module; do not")
        .append(" edit.\n\n")
        .append("Every key not listed here passes through unchanged to Kafka Streams and its")
        .append(" clients. OpenTelemetry is configured by its standard `OTEL_*` variables.\n\n")
        .append("| key | type | default | valid values | importance | description |\n")
        .append("|---|---|---|---|---|---|\n");
    for (Map.Entry<String, ConfigDef.ConfigKey> entry : definitions.configKeys().entrySet()) {
      ConfigDef.ConfigKey key = entry.getValue();
      String defaultValue =
          key.hasDefault()
              ? "`" + ConfigDef.convertToString(key.defaultValue, key.type) + "`"
              : "(required)";
      out.append("| `")
          .append(key.name)
          .append("` | ")
          .append(key.type.name().toLowerCase(java.util.Locale.ROOT))
          .append(" | ")
          .append(defaultValue)
          .append(" | ")
          .append(key.validator == null ? "" : escape(key.validator.toString()))
          .append(" | ")
          .append(key.importance.name().toLowerCase(java.util.Locale.ROOT))
          .append(" | ")
          .append(escape(key.documentation))
          .append(" |\n");
    }
    return out.toString();
  }

  private static String escape(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }
}
