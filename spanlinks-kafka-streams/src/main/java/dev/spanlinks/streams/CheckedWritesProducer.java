package dev.spanlinks.streams;

import dev.spanlinks.streams.trace.internals.CountsAtCommit;
import dev.spanlinks.streams.trace.internals.SpansBeforeCommit;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The producer of every stream thread ({@link SpansBeforeCommitClientSupplier}): the last check of
 * every record spanlinks writes (repartition, changelog, batches, late orders, dead letters), and
 * the wait for the thread's batch spans before every flush, so before every commit ({@link
 * SpansBeforeCommit}).
 *
 * <p>A record the broker would refuse, by the limits spanlinks knows ({@link WriteLimits}: record
 * size, and the timestamp's distance from the wall clock), or one the broker refused before ({@link
 * RefusedWrites}), is not sent (changelog records excepted: they are bounded by construction, and
 * Kafka Streams writes them outside any record's context): its callback fails at once with {@link
 * RefusedBeforeSendException}, in the send call, so the production handler sees the context of the
 * record being processed, and the producer never sees the record. Under exactly-once the
 * transaction stays good and the handler dead-letters the record inside it. A record the broker
 * refuses all the same (a limit lowered while the app runs) is remembered, so that its next send is
 * refused here.
 */
final class CheckedWritesProducer extends KafkaProducer<byte[], byte[]> {
  private final int maxBytes;
  private final long maxFutureMs;
  private final long maxPastMs;
  private final AtomicBoolean refusedInTransaction = new AtomicBoolean();
  private volatile boolean transactional;

  CheckedWritesProducer(Map<String, Object> config) {
    super(config, new ByteArraySerializer(), new ByteArraySerializer());
    // Kafka Streams passes the settings it does not know, spanlinks' among them, to its clients.
    this.maxBytes =
        (int)
            Math.min(
                setting(config, BatchConfig.RECORD_MAX_BYTES_CONFIG),
                setting(config, ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
    this.maxFutureMs = setting(config, BatchConfig.MAX_FUTURE_MS_CONFIG);
    this.maxPastMs = setting(config, BatchConfig.MAX_PAST_MS_CONFIG);
  }

  private static long setting(Map<String, Object> config, String key) {
    Object value = config.get(key);
    if (value == null) {
      value =
          key.equals(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)
              ? ProducerConfig.configDef().defaultValues().get(key)
              : BatchConfig.configDef().defaultValues().get(key);
    }
    return Long.parseLong(value.toString().trim());
  }

  @Override
  public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
    if (isChangelog(record.topic())) {
      // Bounded by construction (WriteLimits), and Kafka Streams sends them outside any record's
      // context: a failure in the send call there stops the thread.
      return super.send(record, callback);
    }
    Optional<String> refusal =
        whyRefused(record, maxBytes, maxFutureMs, maxPastMs, System.currentTimeMillis());
    if (refusal.isPresent()) {
      RefusedBeforeSendException refused = new RefusedBeforeSendException(refusal.get());
      if (callback != null) {
        callback.onCompletion(null, refused);
      }
      return CompletableFuture.failedFuture(refused);
    }
    return super.send(
        record,
        (metadata, exception) -> {
          if (exception != null
              && DeadLetterHandler.isRefusalOfTheRecord(exception)
              && firstRefusalOfTheTransaction()) {
            RefusedWrites.remember(record, exception.toString());
          }
          if (callback != null) {
            callback.onCompletion(metadata, exception);
          }
        });
  }

  /**
   * True for a refusal outside transactions, and for the first of a transaction: the broker's
   * refusal of one record dooms the transaction, and the producer fails the records still pending
   * in it with the same exception. Only the first is the record's own; the others are sent again,
   * and a second record refused for its own sake is the first of the retry's transaction.
   */
  private boolean firstRefusalOfTheTransaction() {
    return !transactional || refusedInTransaction.compareAndSet(false, true);
  }

  private static boolean isChangelog(String topic) {
    return topic.endsWith("-changelog");
  }

  @Override
  public void initTransactions() {
    super.initTransactions();
    transactional = true;
    CountsAtCommit.holdUntilCommit();
  }

  @Override
  public void beginTransaction() {
    super.beginTransaction();
    refusedInTransaction.set(false);
  }

  @Override
  public void commitTransaction() {
    super.commitTransaction();
    CountsAtCommit.committed();
  }

  @Override
  public void abortTransaction() {
    CountsAtCommit.aborted();
    super.abortTransaction();
  }

  @Override
  public void close(Duration timeout) {
    CountsAtCommit.closed();
    super.close(timeout);
  }

  @Override
  public void flush() {
    SpansBeforeCommit.beforeProducerFlush();
    super.flush();
  }

  /**
   * Why a broker would refuse {@code record}, if it would: larger than {@code maxBytes} (an upper
   * bound of its size in a record batch, {@link WriteLimits#recordBytes}), a timestamp further from
   * {@code nowMs} than the brokers take, or refused before.
   */
  static Optional<String> whyRefused(
      ProducerRecord<byte[], byte[]> record,
      int maxBytes,
      long maxFutureMs,
      long maxPastMs,
      long nowMs) {
    long bytes = WriteLimits.recordBytes(record.key(), record.value(), record.headers());
    if (bytes > maxBytes) {
      return Optional.of(
          "not sent to "
              + record.topic()
              + ": the record takes up to "
              + bytes
              + " bytes, more than the "
              + maxBytes
              + "-byte limit ("
              + BatchConfig.RECORD_MAX_BYTES_CONFIG
              + ", max.request.size)");
    }
    Long timestamp = record.timestamp();
    if (timestamp != null && timestamp > nowMs && timestamp - nowMs > maxFutureMs) {
      return Optional.of(
          "not sent to "
              + record.topic()
              + ": its timestamp is more than "
              + maxFutureMs
              + " ms ahead of the clock ("
              + BatchConfig.MAX_FUTURE_MS_CONFIG
              + ")");
    }
    if (timestamp != null && timestamp < nowMs && nowMs - timestamp > maxPastMs) {
      return Optional.of(
          "not sent to "
              + record.topic()
              + ": its timestamp is more than "
              + maxPastMs
              + " ms behind the clock ("
              + BatchConfig.MAX_PAST_MS_CONFIG
              + ")");
    }
    return RefusedWrites.refused(record)
        .map(
            reason ->
                "not sent to " + record.topic() + ": the broker refused it before: " + reason);
  }
}
