package dev.spanlinks.streams;

import dev.spanlinks.streams.model.Order;
import dev.spanlinks.streams.model.OrderBatch;
import dev.spanlinks.streams.state.ContributionStore;
import io.opentelemetry.api.OpenTelemetry;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * spanlinks for a stream of any record type, in the Kafka Streams DSL ({@link #link}) or the
 * Processor API ({@link #addTo}): one span per closed event-time window and batch key, started with
 * a link to every contributing record's span context (read from its headers), with chunking,
 * deterministic ids, idle close, late records and redeliveries counted once, and the batch span's
 * context in the headers of each batch record.
 *
 * <pre>{@code
 * LinkedWindows.Streams linked =
 *     LinkedWindows.link(payments, (key, payment, timestamp) ->
 *         BatchedRecord.of(payment.id(), payment.region(), payment.paidAt()), config, otel);
 * linked.batches().to("payment-batches", ...);
 * }</pre>
 *
 * <p>The same processors and stores as spanlinks' own orders topology, with the settings of a
 * {@link BatchConfig} (window, grace, idle close, links per span, link attributes, trace budget;
 * {@code spanlinks.repartition.by.key} does not apply: repartition by batch key upstream if your
 * producers' partitioners split keys). Run the topology with {@link
 * BatchConfig#streamsProperties(OpenTelemetry)}, so that records the reader refuses reach the
 * dead-letter topic and are counted. One use per topology: the processors and stores have fixed
 * names ({@link Names}).
 */
public final class LinkedWindows {
  /**
   * What {@link #link} returns.
   *
   * @param batches one record per closed batch, key = batch key, header {@code traceparent} = the
   *     batch span
   * @param late records whose window had already closed, as the reader read them
   */
  public record Streams(KStream<String, OrderBatch> batches, KStream<String, Order> late) {}

  private static final String SPLIT = "linked-windows-";

  private LinkedWindows() {}

  /**
   * Adds the batching and its spans to {@code records}.
   *
   * @param reader reads each record's id, batch key, event time and summed number
   */
  public static <K, V> Streams link(
      KStream<K, V> records,
      RecordReader<K, V> reader,
      BatchConfig config,
      OpenTelemetry openTelemetry) {
    Map<String, KStream<String, Object>> outputs =
        records
            .process(
                () -> new ReadRecordProcessor<>(reader, WriteLimits.of(config)),
                Named.as(Names.READ_RECORD))
            .process(
                () ->
                    new CaptureOrderProcessor(
                        openTelemetry.getPropagators().getTextMapPropagator(),
                        config.maxFutureMs(),
                        false),
                Named.as(Names.CAPTURE_ORDER))
            .process(new CloseWindows(config, openTelemetry), Named.as(Names.CLOSE_WINDOWS))
            .split(Named.as(SPLIT))
            .branch((key, value) -> value instanceof OrderBatch, Branched.as("batches"))
            .defaultBranch(Branched.as("late"));
    return new Streams(
        outputs
            .get(SPLIT + "batches")
            .mapValues(value -> (OrderBatch) value, Named.as(SPLIT + "batch-values")),
        outputs
            .get(SPLIT + "late")
            .mapValues(value -> (Order) value, Named.as(SPLIT + "late-values")));
  }

  /**
   * Adds the batching and its spans to a Processor API topology, as children of {@code
   * parentNames}: the processors {@value Names#READ_RECORD}, {@value Names#CAPTURE_ORDER} and
   * {@value Names#CLOSE_WINDOWS}, with their stores. Add your own children to the returned name:
   * they receive each closed batch as an {@link OrderBatch} value (header {@code traceparent} = the
   * batch span) and each late record as an {@link Order} value.
   *
   * @return the name of the processor whose children receive batches and late records
   */
  public static <K, V> String addTo(
      Topology topology,
      RecordReader<K, V> reader,
      BatchConfig config,
      OpenTelemetry openTelemetry,
      String... parentNames) {
    topology.addProcessor(
        Names.READ_RECORD,
        () -> new ReadRecordProcessor<K, V>(reader, WriteLimits.of(config)),
        parentNames);
    topology.addProcessor(
        Names.CAPTURE_ORDER,
        () ->
            new CaptureOrderProcessor(
                openTelemetry.getPropagators().getTextMapPropagator(), config.maxFutureMs(), false),
        Names.READ_RECORD);
    topology.addProcessor(
        Names.CLOSE_WINDOWS, new CloseWindows(config, openTelemetry), Names.CAPTURE_ORDER);
    return Names.CLOSE_WINDOWS;
  }

  /** The close step with the stores it needs, so that {@code KStream#process} adds them. */
  private record CloseWindows(BatchConfig config, OpenTelemetry openTelemetry)
      implements ProcessorSupplier<String, CapturedOrder, String, Object> {
    @Override
    public Processor<String, CapturedOrder, String, Object> get() {
      return new CloseWindowsProcessor(config, openTelemetry, false);
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      return Set.of(
          ContributionStore.contributionsStore(Names.CONTRIBUTIONS_STORE),
          ContributionStore.windowProgressStore(Names.WINDOW_PROGRESS_STORE));
    }
  }
}
