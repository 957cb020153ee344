package dev.spanlinks.streams.trace;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Which names of the messaging semantic conventions spanlinks' spans carry, chosen as the
 * specification prescribes for conventions that are still in development: the names of before
 * semantic conventions v1.45 by default, and {@code OTEL_SEMCONV_STABILITY_OPT_IN} (or the system
 * property {@value #OPT_IN_PROPERTY}), a comma-separated list, to move: {@code messaging} for the
 * v1.45 names only, {@code messaging/dup} for both (it wins when both are listed).
 *
 * <p>v1.45 renamed the Kafka keys: {@code messaging.system} became {@code messaging.system.name},
 * {@code messaging.kafka.offset} {@code kafka.offset}, {@code messaging.kafka.message.key} {@code
 * kafka.message.key} and {@code messaging.kafka.cluster.id} {@code kafka.cluster.id}. Every other
 * key spanlinks writes is the same in both.
 */
public enum MessagingConventions {
  /** The names of before v1.45 (the default, unchanged). */
  OLD(true, false),
  /** {@code messaging}: the v1.45 names only. */
  NEW(false, true),
  /** {@code messaging/dup}: both names, for a move without a gap in dashboards and queries. */
  DUP(true, true);

  /**
   * The opt-in as a system property or {@code otel.*} property of OpenTelemetry's autoconfigure.
   */
  public static final String OPT_IN_PROPERTY = "otel.semconv-stability.opt-in";

  /** The opt-in as an environment variable. */
  public static final String OPT_IN_VARIABLE = "OTEL_SEMCONV_STABILITY_OPT_IN";

  /** {@code messaging.system} until v1.45; {@code messaging.system.name} since. */
  public static final AttributeKey<String> OLD_SYSTEM = AttributeKey.stringKey("messaging.system");

  public static final AttributeKey<String> NEW_SYSTEM =
      AttributeKey.stringKey("messaging.system.name");

  /** The record's offset. */
  public static final AttributeKey<Long> OLD_OFFSET =
      AttributeKey.longKey("messaging.kafka.offset");

  public static final AttributeKey<Long> NEW_OFFSET = AttributeKey.longKey("kafka.offset");

  /** The record key (spanlinks' batch key). */
  public static final AttributeKey<String> OLD_MESSAGE_KEY =
      AttributeKey.stringKey("messaging.kafka.message.key");

  public static final AttributeKey<String> NEW_MESSAGE_KEY =
      AttributeKey.stringKey("kafka.message.key");

  /** The Kafka cluster's id, as the brokers report it. */
  public static final AttributeKey<String> OLD_CLUSTER_ID =
      AttributeKey.stringKey("messaging.kafka.cluster.id");

  public static final AttributeKey<String> NEW_CLUSTER_ID =
      AttributeKey.stringKey("kafka.cluster.id");

  /** Choices made for SDKs whose configuration is not the environment's (see {@link #of}). */
  private static final Map<OpenTelemetry, MessagingConventions> chosen =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final boolean old;
  private final boolean current;

  MessagingConventions(boolean old, boolean current) {
    this.old = old;
    this.current = current;
  }

  /**
   * The choice an opt-in value makes: {@code null} or a list naming neither {@code messaging} nor
   * {@code messaging/dup} keeps the old names. Other entries (such as {@code http}) are for other
   * conventions and ignored.
   */
  public static MessagingConventions fromOptIn(String optIn) {
    if (optIn == null) {
      return OLD;
    }
    List<String> entries = Arrays.stream(optIn.split(",")).map(String::trim).toList();
    if (entries.contains("messaging/dup")) {
      return DUP;
    }
    return entries.contains("messaging") ? NEW : OLD;
  }

  /** The choice of autoconfigured properties, where the system property and variable meet. */
  public static MessagingConventions fromConfig(ConfigProperties config) {
    return fromOptIn(config.getString(OPT_IN_PROPERTY));
  }

  /** The choice of this JVM's system property, else of its environment variable. */
  public static MessagingConventions fromEnvironment() {
    String optIn = System.getProperty(OPT_IN_PROPERTY);
    return fromOptIn(optIn != null ? optIn : System.getenv(OPT_IN_VARIABLE));
  }

  /**
   * The names spans made with {@code openTelemetry} carry: as chosen for it by {@link #use} (which
   * {@link dev.spanlinks.streams.SpanlinksTelemetry#autoConfigure} does from its configuration),
   * else as the environment says, as instrumentation libraries read it.
   */
  public static MessagingConventions of(OpenTelemetry openTelemetry) {
    MessagingConventions conventions = chosen.get(openTelemetry);
    return conventions != null ? conventions : fromEnvironment();
  }

  /** Makes spanlinks' spans made with {@code openTelemetry} carry these names. */
  public void use(OpenTelemetry openTelemetry) {
    chosen.put(openTelemetry, this);
  }

  /** Whether the names of before v1.45 are written. */
  public boolean emitsOld() {
    return old;
  }

  /** Whether the v1.45 names are written. */
  public boolean emitsNew() {
    return current;
  }

  /** The keys, old and new, of one attribute that this choice writes. */
  public <T> List<AttributeKey<T>> keys(AttributeKey<T> oldKey, AttributeKey<T> newKey) {
    if (old && current) {
      return List.of(oldKey, newKey);
    }
    return List.of(old ? oldKey : newKey);
  }

  /** The opt-in value that makes this choice ({@code ""} for the default). */
  public String optInValue() {
    return switch (this) {
      case OLD -> "";
      case NEW -> "messaging";
      case DUP -> "messaging/dup";
    };
  }
}
