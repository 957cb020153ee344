package dev.spanlinks.streams;

import dev.spanlinks.streams.state.ContributionStore;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorSupplier;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * spanlinks for a stream of any record type, in the Kafka Streams DSL ({@link Builder#link}) or the
 * Processor API ({@link Builder#addTo}): one span per closed event-time window and batch key,
 * started with a link to every contributing record's span context (read from its headers), with
 * chunking, deterministic ids, idle close, late records and redeliveries counted once, and the
 * batch span's context in the headers of each batch record.
 *
 * <pre>{@code
 * LinkedWindows.Linked<String, Payment> linked =
 *     LinkedWindows.builder(openTelemetry)
 *         .size(Duration.ofHours(1))
 *         .named("payments")
 *         .link(payments, (region, payment, timestamp) ->
 *             BatchedRecord.of(payment.id(), region, payment.paidAt()));
 * linked.batches().to("payment-batches", ...);  // LinkedBatch values
 * linked.late().to("payments-late", ...);       // the payments themselves
 * }</pre>
 *
 * <p>Settings not given to the builder come from the application's Kafka Streams properties (the
 * {@code spanlinks.*} keys of {@link BatchConfig}: link attributes, trace budget, limits), and
 * their defaults otherwise. Run the topology with {@link
 * BatchConfig#streamsProperties(OpenTelemetry)}, so that records the reader refuses reach the
 * dead-letter topic and are counted. {@code spanlinks.repartition.by.key} does not apply:
 * repartition by batch key upstream if your producers' partitioners split keys.
 */
public final class LinkedWindows {
  /**
   * What {@link Builder#link} returns.
   *
   * @param batches one record per closed batch, key = batch key, header {@code traceparent} = the
   *     batch span
   * @param late records whose window had already closed: the records themselves, with their key,
   *     value, timestamp and headers
   */
  public record Linked<K, V>(KStream<String, LinkedBatch> batches, KStream<K, V> late) {}

  /**
   * What {@link Builder#addTo} returns: the processors to add your own children to.
   *
   * @param batches its children receive each closed batch, a {@link LinkedBatch} keyed by batch key
   *     (header {@code traceparent} = the batch span)
   * @param late its children receive each late record as it came
   */
  public record LinkedProcessors(String batches, String late) {}

  private LinkedWindows() {}

  /** A builder of linked streams whose batch spans go to {@code openTelemetry}. */
  public static Builder builder(OpenTelemetry openTelemetry) {
    return new Builder(openTelemetry);
  }

  /**
   * The settings of one linked stream. Each setting left out comes from the application's
   * properties. Not thread-safe; each {@link #link} or {@link #addTo} takes a copy of the settings.
   */
  public static final class Builder {
    private final OpenTelemetry openTelemetry;
    private final Map<String, Object> settings = new HashMap<>();
    private LinkNames names = LinkNames.DEFAULT;
    private boolean repartitioned;

    private Builder(OpenTelemetry openTelemetry) {
      this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
    }

    /** The length of each event-time window ({@value BatchConfig#WINDOW_SIZE_MS_CONFIG}). */
    public Builder size(Duration size) {
      return with(BatchConfig.WINDOW_SIZE_MS_CONFIG, size.toMillis());
    }

    /**
     * How long after its end a window waits for out-of-order records ({@value
     * BatchConfig#WINDOW_GRACE_MS_CONFIG}).
     */
    public Builder grace(Duration grace) {
      return with(BatchConfig.WINDOW_GRACE_MS_CONFIG, grace.toMillis());
    }

    /**
     * How long input may be quiet before windows close by the wall clock ({@value
     * BatchConfig#IDLE_CLOSE_MS_CONFIG}); {@link Duration#ZERO}: never.
     */
    public Builder idleClose(Duration idleClose) {
      return with(BatchConfig.IDLE_CLOSE_MS_CONFIG, idleClose.toMillis());
    }

    /**
     * Links each span holds before the rest go to chunk spans ({@value
     * BatchConfig#LINKS_PER_SPAN_CONFIG}): at most the tracer provider's link limit ({@link
     * dev.spanlinks.streams.SpanlinksTelemetry#withBatchSupport}).
     */
    public Builder linksPerSpan(int linksPerSpan) {
      return with(BatchConfig.LINKS_PER_SPAN_CONFIG, linksPerSpan);
    }

    /**
     * Names this linked stream: its processors and stores are named after it ({@code
     * <name>-batch-contributions}, ...) and its batch ids derive from it too, so two linked streams
     * fit one topology. Unnamed, the names of spanlinks' own topology: one unnamed use per
     * topology.
     *
     * @param name 1 to 100 of a-z, A-Z, 0-9, '.', '_' and '-'
     */
    public Builder named(String name) {
      this.names = LinkNames.of(name);
      return this;
    }

    /**
     * Settings of {@link BatchConfig} over the application's properties, for the ones the other
     * methods do not name ({@code spanlinks.link.attributes}, {@code spanlinks.trace.max.bytes},
     * ...); the methods called after this win over it.
     *
     * @throws org.apache.kafka.common.config.ConfigException for an invalid or unknown {@code
     *     spanlinks.*} setting
     */
    public Builder settings(Map<String, ?> settings) {
      Map<String, Object> check = new HashMap<>(settings);
      check.putIfAbsent(BatchConfig.APPLICATION_ID_CONFIG, "x");
      new BatchConfig(check);
      this.settings.putAll(settings);
      return this;
    }

    /**
     * The step to put before your repartition by batch key, when your producers' partitioners split
     * a batch key over partitions: it holds each record to the rules and the brokers' limits before
     * its copy is written, and notes its input position, so that its link names the record itself,
     * not its copy in the repartition topic. Records refused go to the dead-letter topic. From then
     * on this builder's {@link #link} and {@link #addTo} expect records that came through it:
     * {@code stream.selectKey(batch key).processValues(builder.beforeRepartition(reader))
     * .repartition(...)}, then {@code builder.link(repartitioned, reader)}.
     */
    public <K, V> FixedKeyProcessorSupplier<K, V, V> beforeRepartition(RecordReader<K, V> reader) {
      this.repartitioned = true;
      Map<String, Object> settings = Map.copyOf(this.settings);
      return () ->
          new ConfiguredAtInit.FixedKey<K, V, V>(
              settings, config -> new BeforeRepartitionProcessor<>(reader, WriteLimits.of(config)));
    }

    private Builder with(String key, Object value) {
      settings.put(key, value);
      // Fail here, at the line that set it, rather than when a task starts.
      BatchConfig.configDef().parse(Map.of(key, value, BatchConfig.APPLICATION_ID_CONFIG, "x"));
      return this;
    }

    /**
     * Adds the batching and its spans to {@code records}.
     *
     * @param reader reads each record's id, batch key, event time, sum and link attributes
     */
    public <K, V> Linked<K, V> link(KStream<K, V> records, RecordReader<K, V> reader) {
      LinkNames names = this.names;
      boolean repartitioned = this.repartitioned;
      Map<String, Object> settings = Map.copyOf(this.settings);
      TextMapPropagator propagator = openTelemetry.getPropagators().getTextMapPropagator();
      Map<String, KStream<Object, Object>> outputs =
          records
              .process(
                  () ->
                      new ConfiguredAtInit<K, V, String, CapturedRecord>(
                          settings, config -> capture(reader, config, propagator, repartitioned)),
                  Named.as(names.capture()))
              .process(
                  new CloseWindows(settings, openTelemetry, names, null), Named.as(names.close()))
              .split(Named.as(names.split()))
              .branch((key, value) -> value instanceof EmittedBatch, Branched.as("batches"))
              .defaultBranch(Branched.as("late"));
      // Casts of the streams, not of records: batches are keyed by batch key, and the late branch
      // holds the records as they came in.
      @SuppressWarnings("unchecked")
      KStream<String, LinkedBatch> batches =
          (KStream<String, LinkedBatch>)
              (KStream<?, ?>)
                  outputs
                      .get(names.split() + "batches")
                      .mapValues(
                          value -> ((EmittedBatch) value).batch(),
                          Named.as(names.split() + "batch-values"));
      @SuppressWarnings("unchecked")
      KStream<K, V> late = (KStream<K, V>) (KStream<?, ?>) outputs.get(names.split() + "late");
      return new Linked<>(batches, late);
    }

    /**
     * Adds the batching and its spans to a Processor API topology, as children of {@code
     * parentNames}: a capture and a close processor with their stores, and the two processors whose
     * children receive batches and late records.
     */
    public <K, V> LinkedProcessors addTo(
        Topology topology, RecordReader<K, V> reader, String... parentNames) {
      LinkNames names = this.names;
      boolean repartitioned = this.repartitioned;
      Map<String, Object> settings = Map.copyOf(this.settings);
      TextMapPropagator propagator = openTelemetry.getPropagators().getTextMapPropagator();
      topology.addProcessor(
          names.capture(),
          () ->
              new ConfiguredAtInit<K, V, String, CapturedRecord>(
                  settings, config -> capture(reader, config, propagator, repartitioned)),
          parentNames);
      topology.addProcessor(
          names.close(),
          new CloseWindows(
              settings,
              openTelemetry,
              names,
              new CloseWindowsProcessor.Children(names.batches(), names.late())),
          names.capture());
      topology.addProcessor(names.batches(), PassOn::new, names.close());
      topology.addProcessor(names.late(), PassOn::new, names.close());
      return new LinkedProcessors(names.batches(), names.late());
    }
  }

  /**
   * The capture step; after {@link Builder#beforeRepartition} the limits were checked before the
   * repartition, and the record's position is in its headers.
   */
  private static <K, V> CaptureRecordProcessor<K, V> capture(
      RecordReader<K, V> reader,
      BatchConfig config,
      TextMapPropagator propagator,
      boolean repartitioned) {
    return new CaptureRecordProcessor<>(
        reader, repartitioned ? null : WriteLimits.of(config), propagator, repartitioned);
  }

  /** The close step with the stores it needs, so that {@code KStream#process} adds them. */
  private record CloseWindows(
      Map<String, Object> settings,
      OpenTelemetry openTelemetry,
      LinkNames names,
      CloseWindowsProcessor.Children children)
      implements ProcessorSupplier<String, CapturedRecord, Object, Object> {
    @Override
    public Processor<String, CapturedRecord, Object, Object> get() {
      return new ConfiguredAtInit<>(
          settings, config -> new CloseWindowsProcessor(config, openTelemetry, names, children));
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      return Set.of(
          ContributionStore.contributionsStore(names.contributionsStore()),
          ContributionStore.windowProgressStore(names.progressStore()));
    }
  }

  /** Sends each record on unchanged: the named point a Processor API user adds children to. */
  private static final class PassOn extends ContextualProcessor<Object, Object, Object, Object> {
    @Override
    public void process(Record<Object, Object> record) {
      context().forward(record);
    }
  }
}
