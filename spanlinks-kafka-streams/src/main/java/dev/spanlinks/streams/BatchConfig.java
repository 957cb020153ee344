package dev.spanlinks.streams;

import com.fasterxml.jackson.core.JsonPointer;
import dev.spanlinks.streams.trace.internals.BatchSpanSettings;
import dev.spanlinks.streams.trace.internals.LinkAttributes;
import io.opentelemetry.api.OpenTelemetry;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * spanlinks' settings ({@code spanlinks.*}) plus the Kafka Streams {@code application.id}. Every
 * other key passes through unchanged to Kafka Streams and its clients ({@link
 * #streamsProperties()}). OpenTelemetry is configured by its own {@code OTEL_*} variables only.
 */
public final class BatchConfig extends AbstractConfig {
  public static final String APPLICATION_ID_CONFIG = StreamsConfig.APPLICATION_ID_CONFIG;
  public static final String ORDERS_TOPIC_CONFIG = "spanlinks.orders.topic";
  public static final String BATCHES_TOPIC_CONFIG = "spanlinks.batches.topic";
  public static final String LATE_TOPIC_CONFIG = "spanlinks.late.topic";
  public static final String WINDOW_SIZE_MS_CONFIG = "spanlinks.window.size.ms";
  public static final String WINDOW_GRACE_MS_CONFIG = "spanlinks.window.grace.ms";
  public static final String IDLE_CLOSE_MS_CONFIG = "spanlinks.idle.close.ms";
  public static final String CLOSE_CHECK_INTERVAL_MS_CONFIG = "spanlinks.close.check.interval.ms";
  public static final String LINKS_PER_SPAN_CONFIG = "spanlinks.links.per.span";
  public static final String REVERSE_LINKS_CONFIG = "spanlinks.reverse.links";
  public static final String MAX_FUTURE_MS_CONFIG = "spanlinks.max.future.ms";
  public static final String MAX_PAST_MS_CONFIG = "spanlinks.max.past.ms";
  public static final String BATCH_KEY_MAX_BYTES_CONFIG = "spanlinks.batch.key.max.bytes";
  public static final String RECORD_MAX_BYTES_CONFIG = "spanlinks.record.max.bytes";
  public static final String BATCH_IDS_NAMESPACE_CONFIG = "spanlinks.batch.ids.namespace";
  public static final String EXPORT_TIMEOUT_MS_CONFIG = "spanlinks.export.timeout.ms";
  public static final String REPARTITION_BY_KEY_CONFIG = "spanlinks.repartition.by.key";
  public static final String LINK_ATTRIBUTES_CONFIG = "spanlinks.link.attributes";
  public static final String TRACE_MAX_BYTES_CONFIG = "spanlinks.trace.max.bytes";
  public static final String DEDUPE_TABLE_MAX_BYTES_CONFIG = "spanlinks.dedupe.table.max.bytes";
  public static final String KAFKA_CLUSTER_ID_CONFIG = "spanlinks.kafka.cluster.id";
  public static final String CLOSE_TIMEOUT_MS_CONFIG = "spanlinks.close.timeout.ms";
  public static final String INPUT_FORMAT_CONFIG = "spanlinks.input.format";
  public static final String JSON_ID_POINTER_CONFIG = "spanlinks.json.id.pointer";
  public static final String JSON_EVENT_TIME_POINTER_CONFIG = "spanlinks.json.event.time.pointer";
  public static final String JSON_BATCH_KEY_POINTER_CONFIG = "spanlinks.json.batch.key.pointer";
  public static final String JSON_SUM_POINTER_CONFIG = "spanlinks.json.sum.pointer";
  private static final String PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED =
      "processing.exception.handler.global.enabled";

  /**
   * Not a user setting: the offline replay runs each partition's records in a test driver whose one
   * partition is 0, and passes the live partition here so that batch ids come out the same.
   */
  static final String BATCH_IDS_PARTITION_INTERNAL = "spanlinks.internal.batch.ids.partition";

  /** spanlinks' own keys; an unknown one is a mistake, refused with the nearest known key. */
  private static final String PREFIX = "spanlinks.";

  /** Keys spanlinks passes to its own parts (handlers, offline replay), never a user's. */
  private static final String INTERNAL_PREFIX = "spanlinks.internal.";

  /**
   * The producer's transaction timeout unless the user sets one: long enough to close a window of a
   * million orders in one transaction, within the broker's default {@code
   * transaction.max.timeout.ms} (15 min).
   */
  static final int TRANSACTION_TIMEOUT_MS = 300_000;

  /** spanlinks' default {@code commit.interval.ms}: see {@link #streamsProperties()}. */
  static final long DEFAULT_COMMIT_INTERVAL_MS = 1_000;

  /** Kafka's default {@code max.message.bytes} and {@code max.request.size}: 1 MiB. */
  public static final int DEFAULT_RECORD_MAX_BYTES = 1_048_576;

  /**
   * The smallest record limit spanlinks runs with: a batch record with its largest key and all its
   * totals, or an order's changelog entry with the largest key, id and link attributes, must fit.
   */
  public static final int MIN_RECORD_MAX_BYTES = 256 * 1024;

  /** More links per span than this makes single OTLP requests too large for collectors. */
  static final int MAX_LINKS_PER_SPAN = 10_000;

  private static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(
              APPLICATION_ID_CONFIG,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Kafka Streams application id. Also the consumer group on batch spans, and an input"
                  + " of the deterministic batch trace ids.")
          .define(
              ORDERS_TOPIC_CONFIG,
              Type.STRING,
              Names.ORDERS_TOPIC,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Input topic: key = batch key, value = order JSON, headers = W3C trace context.")
          .define(
              BATCHES_TOPIC_CONFIG,
              Type.STRING,
              Names.ORDER_BATCHES_TOPIC,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Output topic of closed batches; each record's traceparent is its batch span.")
          .define(
              LATE_TOPIC_CONFIG,
              Type.STRING,
              Names.LATE_ORDERS_TOPIC,
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Topic for orders whose window had already closed, with their original headers.")
          .define(
              WINDOW_SIZE_MS_CONFIG,
              Type.LONG,
              3_600_000L,
              ConfigDef.Range.atLeast(1),
              Importance.HIGH,
              "Size of the tumbling event-time windows, aligned to the epoch.")
          .define(
              WINDOW_GRACE_MS_CONFIG,
              Type.LONG,
              300_000L,
              ConfigDef.Range.atLeast(0),
              Importance.HIGH,
              "How long after its end a window still accepts orders, in stream time.")
          .define(
              IDLE_CLOSE_MS_CONFIG,
              Type.LONG,
              300_000L,
              ConfigDef.Range.atLeast(1),
              Importance.MEDIUM,
              "After a task has seen no input for this long (wall-clock time), wall-clock time"
                  + " stands in for stream time, so the last window closes on a quiet topic. An"
                  + " idle close moves the closed-through boundary only past the windows it"
                  + " emits: orders of the past that arrive later (a replay, a producer back from"
                  + " an outage) are not late for the hours after them.")
          .define(
              CLOSE_CHECK_INTERVAL_MS_CONFIG,
              Type.LONG,
              1_000L,
              ConfigDef.Range.atLeast(1),
              Importance.LOW,
              "How often (wall-clock time) a task checks whether it is idle and windows are due.")
          .define(
              LINKS_PER_SPAN_CONFIG,
              Type.INT,
              1_000,
              ConfigDef.Range.between(1, MAX_LINKS_PER_SPAN),
              Importance.MEDIUM,
              "Most links on one span. Past it, links go to 'process orders chunk' child spans."
                  + " The SDK link limit (OTEL_SPAN_LINK_COUNT_LIMIT) must be at least this + 1024.")
          .define(
              MAX_FUTURE_MS_CONFIG,
              Type.LONG,
              3_600_000L,
              ConfigDef.Range.atLeast(0),
              Importance.MEDIUM,
              "Orders whose event time is further ahead of the wall clock go to the dead-letter"
                  + " topic: one order from the far future would otherwise advance stream time,"
                  + " close every open window early and make the orders after it late. Keep it at"
                  + " or below the brokers' message.timestamp.after.max.ms (1 h by default): batch"
                  + " and changelog records carry event times, and a broker rejects records"
                  + " further ahead than that.")
          .define(
              MAX_PAST_MS_CONFIG,
              Type.LONG,
              Long.MAX_VALUE,
              ConfigDef.Range.atLeast(0),
              Importance.LOW,
              "Orders whose event time is further behind the wall clock go to the dead-letter"
                  + " topic. Brokers refuse records older than message.timestamp.before.max.ms"
                  + " (no limit by default), and late and batch records carry event times. 'run'"
                  + " lowers this to the brokers' and topics' limit at start-up.")
          .define(
              BATCH_KEY_MAX_BYTES_CONFIG,
              Type.INT,
              1024,
              ConfigDef.Range.between(1, 64 * 1024),
              Importance.LOW,
              "Longest batch key, in bytes of UTF-8. A record with a longer key goes to the"
                  + " dead-letter topic: the key is stored with every block of its batch and"
                  + " written twice in each batch record (JSON escapes a control character in six"
                  + " bytes), so an unbounded key is a record the broker refuses at the close.")
          .define(
              RECORD_MAX_BYTES_CONFIG,
              Type.INT,
              DEFAULT_RECORD_MAX_BYTES,
              ConfigDef.Range.atLeast(MIN_RECORD_MAX_BYTES),
              Importance.LOW,
              "Largest record spanlinks writes (batch, late, dead-letter, repartition and"
                  + " changelog records). 'run' lowers it at start-up to the smallest of the"
                  + " producer's max.request.size, the batches, late and dead-letter topics'"
                  + " max.message.bytes and the brokers' message.max.bytes (internal topics)."
                  + " An input whose copies would not fit goes to the dead-letter topic; a dead"
                  + " letter that would not fit keeps its reason headers and a truncated value.")
          .define(
              BATCH_IDS_NAMESPACE_CONFIG,
              Type.STRING,
              null,
              Importance.LOW,
              "Input of the deterministic batch trace and span ids, with batch key and window"
                  + " start. Default: application.id. Set it to the original application.id when"
                  + " re-running old data under a new application.id to re-emit the same batch"
                  + " ids; set it to something new to keep a re-run's batches apart.")
          .define(
              LINK_ATTRIBUTES_CONFIG,
              Type.STRING,
              LinkAttributes.STANDARD.configValue(),
              ConfigDef.ValidString.in(
                  LinkAttributes.NONE.configValue(),
                  LinkAttributes.STANDARD.configValue(),
                  LinkAttributes.ALL.configValue()),
              Importance.MEDIUM,
              "What each span link carries besides the order's span context. 'none': nothing"
                  + " (smallest traces); 'standard': the order's offset (and its partition with"
                  + " spanlinks.repartition.by.key); 'all': offset, partition, record key, order id"
                  + " and event time. What every link of a batch shares (record key, partition) is"
                  + " on the batch and chunk spans once. With 'standard' and 'all', a library"
                  + " user's own link attributes (BatchedRecord.linkAttributes) come too. OTLP"
                  + " bytes per link: TELEMETRY.md.")
          .define(
              CLOSE_TIMEOUT_MS_CONFIG,
              Type.LONG,
              30_000L,
              ConfigDef.Range.atLeast(1),
              Importance.LOW,
              "On SIGTERM, how long to wait for Kafka Streams to close (commit, flush state,"
                  + " leave the group) before the process exits anyway. A close cut short is"
                  + " safe (state is restored and uncommitted work redone at the next start) but"
                  + " slower to recover from, and the shutdown log says so.")
          .define(
              KAFKA_CLUSTER_ID_CONFIG,
              Type.STRING,
              "",
              Importance.LOW,
              "The Kafka cluster's id, for the batch span's messaging.kafka.cluster.id (or"
                  + " kafka.cluster.id, by OTEL_SEMCONV_STABILITY_OPT_IN). The app reads it from"
                  + " the brokers at start-up unless set; empty: the attribute is left out.")
          .define(
              TRACE_MAX_BYTES_CONFIG,
              Type.LONG,
              BatchSpanSettings.DEFAULT_TRACE_MAX_BYTES,
              ConfigDef.Range.atLeast(BatchSpanSettings.MIN_TRACE_MAX_BYTES),
              Importance.MEDIUM,
              "Most OTLP bytes of any one trace (an upper bound spanlinks computes, above what is"
                  + " sent). Backends refuse larger traces: Grafana Tempo's max_bytes_per_trace is"
                  + " 5,000,000 by default. When a batch's links would pass it, the link chunks"
                  + " after that point go into chunk traces of their own, each linked with the"
                  + " batch span both ways.")
          .define(
              DEDUPE_TABLE_MAX_BYTES_CONFIG,
              Type.LONG,
              64L << 20,
              ConfigDef.Range.atLeast(1L << 10),
              Importance.LOW,
              "Most heap, in bytes, of the table of order-id fingerprints (32 bytes an order) by"
                  + " which a closing batch counts an order delivered twice once; 1.5 times that"
                  + " while it grows, one table per stream thread. A batch with more distinct"
                  + " orders than that holds (two million at the default) spills the rest, sorted,"
                  + " to a memory-mapped file in java.io.tmpdir (16 bytes an order), deleted"
                  + " when the batch is out.")
          .define(
              REPARTITION_BY_KEY_CONFIG,
              Type.BOOLEAN,
              false,
              Importance.MEDIUM,
              "Repartition the orders by batch key (internal topic <application.id>-orders-by-key-"
                  + "repartition) before batching, so that every (batch key, window) is exactly one"
                  + " batch whatever partitioner each producer used (librdkafka's default hashes"
                  + " keys with CRC32, the Java client with murmur2) and after partitions are"
                  + " added. Off: one batch per (batch key, window, input partition), each with"
                  + " its own ids. Costs one more write and read of every order.")
          .define(
              EXPORT_TIMEOUT_MS_CONFIG,
              Type.LONG,
              60_000L,
              ConfigDef.Range.atLeast(1),
              Importance.LOW,
              "Longest wait, while a window closes, for the span processor to complete a flush of"
                  + " a round of 170 ended spans. The close waits (backpressure) rather than let the"
                  + " span processor's queue drop spans. An exporter that fails, or does not answer"
                  + " within its own timeout (OTEL_EXPORTER_OTLP_TIMEOUT) plus a second, is not"
                  + " waited for again until a probe export succeeds: spans are dropped and"
                  + " counted (spanlinks.spans.dropped). Past this wait (a span processor that is"
                  + " stuck) the close fails: its transaction aborts and the window's batches are"
                  + " processed again, with the same span ids.")
          .define(
              REVERSE_LINKS_CONFIG,
              Type.BOOLEAN,
              false,
              Importance.LOW,
              "Also emit, per linked order, a small 'batched' span in the order's own trace,"
                  + " linked to the batch span: the way back from an order to its batch in backends"
                  + " that cannot query links in reverse (Jaeger, SigNoz). One more span per order.")
          .define(
              INPUT_FORMAT_CONFIG,
              Type.STRING,
              "orders",
              ConfigDef.ValidString.in("orders", "json", "unparsed"),
              Importance.HIGH,
              "What the input records' values are. 'orders': spanlinks' order JSON. 'json': JSON"
                  + " objects of any shape, read through the spanlinks.json.*.pointer settings."
                  + " 'unparsed': values are never read; the record key is the batch key, the"
                  + " record timestamp the event time, the record's partition and offset its id."
                  + " With 'json' and 'unparsed', late records go to the late topic as the"
                  + " normalized order JSON spanlinks read, not as the original bytes.")
          .define(
              JSON_ID_POINTER_CONFIG,
              Type.STRING,
              "",
              new JsonPointerValidator(),
              Importance.MEDIUM,
              "With spanlinks.input.format=json: JSON pointer (RFC 6901, such as /order/id) to a"
                  + " record's id (a string or integer), which counts a redelivered record once."
                  + " Empty: the record's partition and offset ('2@1234').")
          .define(
              JSON_EVENT_TIME_POINTER_CONFIG,
              Type.STRING,
              "",
              new JsonPointerValidator(),
              Importance.MEDIUM,
              "With spanlinks.input.format=json: JSON pointer to the event time, epoch"
                  + " milliseconds or an ISO-8601 instant with offset. Empty, or missing in a"
                  + " record: the record timestamp.")
          .define(
              JSON_BATCH_KEY_POINTER_CONFIG,
              Type.STRING,
              "",
              new JsonPointerValidator(),
              Importance.MEDIUM,
              "With spanlinks.input.format=json: JSON pointer to the batch key (a string or"
                  + " integer). Empty: the record key. Records keyed otherwise are batched per"
                  + " input partition unless spanlinks.repartition.by.key is on.")
          .define(
              JSON_SUM_POINTER_CONFIG,
              Type.STRING,
              "",
              new JsonPointerValidator(),
              Importance.LOW,
              "With spanlinks.input.format=json: JSON pointer to a number each batch sums, under"
                  + " the pointer's name in the batch's totals (non-negative, at most 15 digits"
                  + " before the point and 9 after). Empty: batches have no totals.");

  /** Rejects a value that is neither empty nor an RFC 6901 JSON pointer. */
  private static final class JsonPointerValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      String pointer = String.valueOf(value);
      if (pointer.isEmpty()) {
        return;
      }
      try {
        JsonPointer.compile(pointer);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(
            name, value, "not a JSON pointer (RFC 6901, such as /order/id): " + e.getMessage());
      }
    }

    @Override
    public String toString() {
      return "empty, or a JSON pointer such as /order/id";
    }
  }

  /**
   * Reads spanlinks' settings from {@code props}; every other key is kept and passed to Kafka
   * Streams by {@link #streamsProperties()}.
   *
   * @throws ConfigException when a setting is invalid or two of the four topics are the same
   */
  public BatchConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props, false);
    for (Object key : props.keySet()) {
      String name = String.valueOf(key);
      if (name.startsWith(PREFIX)
          && !name.startsWith(INTERNAL_PREFIX)
          && !CONFIG_DEF.names().contains(name)) {
        throw new ConfigException(
            "Unknown setting "
                + name
                + nearestKnown(name).map(known -> " (did you mean " + known + "?)").orElse("")
                + ": the spanlinks.* keys are spanlinks' own (see topology-docs/CONFIGURATION.md);"
                + " Kafka's keys pass through unchanged");
      }
    }
    Set<String> topics =
        new HashSet<>(List.of(ordersTopic(), batchesTopic(), lateTopic(), deadLetterTopic()));
    if (topics.size() != 4) {
      throw new ConfigException(
          "The orders, batches, late and dead-letter topics must be four different topics");
    }
  }

  /** The known setting closest to {@code name} by edit distance, if one is close enough. */
  static Optional<String> nearestKnown(String name) {
    if (name.contains("dead.letter") || name.contains("dlq")) {
      // The dead-letter topic is Kafka's own setting, not a spanlinks.* one.
      return Optional.of(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
    }
    String nearest = null;
    int best = Integer.MAX_VALUE;
    for (String known : new TreeSet<>(CONFIG_DEF.names())) {
      int distance = editDistance(name, known);
      if (distance < best) {
        best = distance;
        nearest = known;
      }
    }
    // A guess further than a third of the name away is noise, not help.
    return best <= Math.max(3, name.length() / 3) ? Optional.ofNullable(nearest) : Optional.empty();
  }

  private static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  /** The definitions, for generated documentation. */
  public static ConfigDef configDef() {
    return new ConfigDef(CONFIG_DEF);
  }

  /** The Kafka Streams {@code application.id}. */
  public String applicationId() {
    return getString(APPLICATION_ID_CONFIG);
  }

  /** The input topic ({@value #ORDERS_TOPIC_CONFIG}). */
  public String ordersTopic() {
    return getString(ORDERS_TOPIC_CONFIG);
  }

  /** The output topic of closed batches ({@value #BATCHES_TOPIC_CONFIG}). */
  public String batchesTopic() {
    return getString(BATCHES_TOPIC_CONFIG);
  }

  /** The topic that late records go to ({@value #LATE_TOPIC_CONFIG}). */
  public String lateTopic() {
    return getString(LATE_TOPIC_CONFIG);
  }

  /**
   * Kafka's own {@code errors.dead.letter.queue.topic.name}, defaulting to {@value
   * Names#DEAD_LETTER_TOPIC}.
   */
  public String deadLetterTopic() {
    Object configured = originals().get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
    return configured == null ? Names.DEAD_LETTER_TOPIC : configured.toString();
  }

  /** The length of a batch window, in milliseconds ({@value #WINDOW_SIZE_MS_CONFIG}). */
  public long windowSizeMs() {
    return getLong(WINDOW_SIZE_MS_CONFIG);
  }

  /** How long after its end a window still takes records ({@value #WINDOW_GRACE_MS_CONFIG}). */
  public long windowGraceMs() {
    return getLong(WINDOW_GRACE_MS_CONFIG);
  }

  /**
   * How long a task may see no input before wall-clock time stands in for stream time, so the last
   * window of a quiet topic closes ({@value #IDLE_CLOSE_MS_CONFIG}).
   */
  public long idleCloseMs() {
    return getLong(IDLE_CLOSE_MS_CONFIG);
  }

  /**
   * How often due windows are checked for on the wall clock ({@value
   * #CLOSE_CHECK_INTERVAL_MS_CONFIG}).
   */
  public long closeCheckIntervalMs() {
    return getLong(CLOSE_CHECK_INTERVAL_MS_CONFIG);
  }

  /** Most links on one span before links go to chunk spans ({@value #LINKS_PER_SPAN_CONFIG}). */
  public int linksPerSpan() {
    return getInt(LINKS_PER_SPAN_CONFIG);
  }

  /** How far ahead of the wall clock an event time may be ({@value #MAX_FUTURE_MS_CONFIG}). */
  public long maxFutureMs() {
    return getLong(MAX_FUTURE_MS_CONFIG);
  }

  /** How far behind the wall clock an event time may be ({@value #MAX_PAST_MS_CONFIG}). */
  public long maxPastMs() {
    return getLong(MAX_PAST_MS_CONFIG);
  }

  /** The longest batch key, in UTF-8 bytes ({@value #BATCH_KEY_MAX_BYTES_CONFIG}). */
  public int batchKeyMaxBytes() {
    return getInt(BATCH_KEY_MAX_BYTES_CONFIG);
  }

  /** The largest record spanlinks writes ({@value #RECORD_MAX_BYTES_CONFIG}). */
  public int recordMaxBytes() {
    return getInt(RECORD_MAX_BYTES_CONFIG);
  }

  /** What batch ids derive from besides batch key and window: the application id by default. */
  String batchIdsNamespace() {
    String namespace = getString(BATCH_IDS_NAMESPACE_CONFIG);
    return namespace == null || namespace.isEmpty() ? applicationId() : namespace;
  }

  LinkAttributes linkAttributes() {
    return LinkAttributes.fromConfig(getString(LINK_ATTRIBUTES_CONFIG));
  }

  /**
   * The longest wait for Kafka Streams to close on shutdown ({@value #CLOSE_TIMEOUT_MS_CONFIG}).
   */
  public long closeTimeoutMs() {
    return getLong(CLOSE_TIMEOUT_MS_CONFIG);
  }

  long traceMaxBytes() {
    return getLong(TRACE_MAX_BYTES_CONFIG);
  }

  /**
   * Most heap of a closing batch's table of seen order ids ({@value
   * #DEDUPE_TABLE_MAX_BYTES_CONFIG}).
   */
  long dedupeTableMaxBytes() {
    return getLong(DEDUPE_TABLE_MAX_BYTES_CONFIG);
  }

  public boolean repartitionByKey() {
    return getBoolean(REPARTITION_BY_KEY_CONFIG);
  }

  /** The Kafka cluster id for the batch span, if known ({@value #KAFKA_CLUSTER_ID_CONFIG}). */
  Optional<String> kafkaClusterId() {
    String id = getString(KAFKA_CLUSTER_ID_CONFIG);
    return id.isEmpty() ? Optional.empty() : Optional.of(id);
  }

  /** What {@code client.id} the user gave Kafka Streams, if any. */
  Optional<String> clientId() {
    Object id = originals().get(StreamsConfig.CLIENT_ID_CONFIG);
    return id == null || id.toString().isEmpty() ? Optional.empty() : Optional.of(id.toString());
  }

  /** The first of the {@code bootstrap.servers}, if any. */
  Optional<String> firstBootstrapServer() {
    Object servers = originals().get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG);
    if (servers == null) {
      return Optional.empty();
    }
    String list =
        servers instanceof List<?> entries
            ? String.join(",", entries.stream().map(String::valueOf).toList())
            : servers.toString();
    return Arrays.stream(list.split(","))
        .map(String::trim)
        .filter(entry -> !entry.isEmpty())
        .findFirst();
  }

  long exportTimeoutMs() {
    return getLong(EXPORT_TIMEOUT_MS_CONFIG);
  }

  /** The same settings, with {@code settings} in place of the ones they name. */
  public BatchConfig withSettings(Map<String, ?> settings) {
    if (settings.isEmpty()) {
      return this;
    }
    Map<String, Object> props = new HashMap<>(originals());
    props.putAll(settings);
    return new BatchConfig(props);
  }

  /** The same settings, with batch ids derived from {@code partition} whatever the task's. */
  public BatchConfig withBatchIdsPartition(int partition) {
    Map<String, Object> props = new HashMap<>(originals());
    props.put(BATCH_IDS_PARTITION_INTERNAL, Integer.toString(partition));
    return new BatchConfig(props);
  }

  /** The partition batch ids derive from, when the offline replay sets it. */
  OptionalInt batchIdsPartition() {
    Object partition = originals().get(BATCH_IDS_PARTITION_INTERNAL);
    return partition == null
        ? OptionalInt.empty()
        : OptionalInt.of(Integer.parseInt(partition.toString()));
  }

  boolean reverseLinks() {
    return getBoolean(REVERSE_LINKS_CONFIG);
  }

  /**
   * Properties for {@code KafkaStreams} running the topology built with {@code openTelemetry}: as
   * {@link #streamsProperties()}, plus the instance the dead-letter handler counts dead letters
   * with (Kafka Streams creates the handler from its configuration, so that is how it gets there).
   */
  public Properties streamsProperties(OpenTelemetry openTelemetry) {
    Properties properties = streamsProperties();
    properties.put(DeadLetterHandler.OPEN_TELEMETRY_CONFIG, openTelemetry);
    return properties;
  }

  /**
   * Properties for {@code KafkaStreams}: every key given, plus spanlinks' defaults where the user
   * set none: exactly-once processing with a 5-minute producer transaction timeout, a commit every
   * second (Kafka Streams' exactly-once default is 100 ms; a window close asks for one once its
   * spans are exported), producers that wait for batch spans at the commit rather than at each
   * close ({@link SpansBeforeCommitClientSupplier}), refusal of generated names, and invalid orders
   * to the dead-letter topic. Without an OpenTelemetry instance (see {@link
   * #streamsProperties(OpenTelemetry)}), dead letters are not counted in metrics, and the handler
   * says so once.
   */
  public Properties streamsProperties() {
    Map<String, Object> defaults = new HashMap<>();
    defaults.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    // A window closes inside one transaction. Kafka Streams' exactly-once default of 10 s is
    // shorter than closing a million-order window takes (tens of seconds on 2 cores): the broker
    // aborts, the producer is fenced, and the close restarts, forever.
    defaults.put(
        StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
        TRANSACTION_TIMEOUT_MS);
    defaults.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    // Kafka Streams commits every 100 ms under exactly-once, so that output is readable soon.
    // Here a window close asks for a commit itself once its spans are out, and each commit costs:
    // it writes every block touched since the last one to the changelog and waits for the spans
    // of the closes before it. A second between commits: at 1,000 keys an hour, half the
    // changelog bytes and 0.74x the untraced count's steady throughput instead of 0.58x; at 3 and
    // 100,000 keys about the same (benchmarks/RESULTS.md).
    defaults.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, DEFAULT_COMMIT_INTERVAL_MS);
    // Commits wait for the spans of the closes before them, not each close for its own.
    defaults.put(
        StreamsConfig.DEFAULT_CLIENT_SUPPLIER_CONFIG,
        SpansBeforeCommitClientSupplier.class.getName());
    // No global tables here; enabled, Kafka Streams stops warning twice at every start that it
    // is not. It is the default from Kafka 5.0, so the key is already deprecated: named by its
    // string, so that -Werror does not fail on the constant.
    defaults.put(PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED, true);
    defaults.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, deadLetterTopic());
    defaults.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        DeadLetterHandler.class.getName());
    defaults.put(
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class.getName());
    defaults.put(
        StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class.getName());
    Properties properties = new Properties();
    properties.putAll(defaults);
    properties.putAll(originals());
    return properties;
  }
}
