package dev.spanlinks.app;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigException;

/**
 * Fails start-up when a config value still holds a {@code ${provider:key}} variable after Kafka's
 * config providers ran. Kafka leaves a variable it cannot resolve as it is (an unset environment
 * variable, one outside {@code allowlist.pattern}, a provider not listed in {@code
 * config.providers}), so the literal text would be sent as, say, the SASL password, and the user
 * would see only an authentication failure.
 */
final class ConfigVariables {
  /** Kafka's own variable syntax: {@code ${provider:[path:]key}}. */
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{[^}:]+:[^}]*}");

  private ConfigVariables() {}

  /**
   * @param resolved settings as an {@code AbstractConfig} resolved them ({@code originals()})
   * @throws ConfigException naming the key and the variable, never the rest of the value (which may
   *     hold secrets)
   */
  static void requireResolved(Map<String, ?> resolved) {
    for (Map.Entry<String, ?> entry : resolved.entrySet()) {
      if (!(entry.getValue() instanceof String value)) {
        continue;
      }
      Matcher variable = VARIABLE.matcher(value);
      if (variable.find()) {
        throw new ConfigException(
            entry.getKey()
                + " refers to "
                + variable.group()
                + ", which no config provider resolved: is the variable set, is its provider"
                + " listed in config.providers, and does it match the provider's"
                + " allowlist.pattern?");
      }
    }
  }
}
