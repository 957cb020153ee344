package dev.spanlinks.app;

import dev.spanlinks.app.orders.OrdersTopology;
import dev.spanlinks.streams.BatchConfig;
import dev.spanlinks.streams.RetryingExceptionHandler;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the topology against a cluster: checks the cluster and topics, starts Kafka Streams, and on
 * {@link #close()} stops Kafka Streams first and the OpenTelemetry SDK second, so every span of a
 * batch Kafka Streams emitted is exported before the process ends. Given an {@code OpenTelemetry}
 * that is not an SDK of ours (the Java agent's), it leaves flushing to its owner.
 */
public final class StreamsRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StreamsRunner.class);
  private final KafkaStreams streams;
  private final OpenTelemetry openTelemetry;
  private final Duration closeTimeout;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile boolean closed;

  private StreamsRunner(KafkaStreams streams, OpenTelemetry openTelemetry, Duration closeTimeout) {
    this.streams = streams;
    this.openTelemetry = openTelemetry;
    this.closeTimeout = closeTimeout;
  }

  /**
   * Starts the application; it runs on Kafka Streams' threads until {@link #close()}.
   *
   * @throws StartupException when the cluster does not answer or topics cannot be had
   */
  public static StreamsRunner start(
      BatchConfig settings,
      OpenTelemetry openTelemetry,
      TopicSettings topics,
      Duration startupTimeout) {
    // The brokers' record limits lower the settings that keep every write within them.
    BatchConfig config =
        settings.withSettings(KafkaTopics.ensure(settings, topics, startupTimeout));
    Properties properties = config.streamsProperties(openTelemetry);
    if (KafkaMetrics.enabled()) {
      // Under the Java agent (not an SDK of ours) its Kafka instrumentation reports the clients.
      KafkaMetrics.addReporters(
          properties, openTelemetry, openTelemetry instanceof OpenTelemetrySdk);
    }
    KafkaStreams streams =
        new KafkaStreams(OrdersTopology.build(config, openTelemetry), properties);
    StreamsRunner runner =
        new StreamsRunner(streams, openTelemetry, Duration.ofMillis(config.closeTimeoutMs()));
    // A close the exporter did not take in time, and a write the broker refused, get a new
    // thread (the library's handler, as the README's embed example uses it); anything else stops.
    streams.setUncaughtExceptionHandler(
        new RetryingExceptionHandler(
            exception -> {
              runner.failure.compareAndSet(null, exception);
              log.error("Stopping: a stream thread failed", exception);
              return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }));
    streams.setStateListener(
        (newState, oldState) -> {
          if (newState == KafkaStreams.State.ERROR
              || newState == KafkaStreams.State.NOT_RUNNING
              || newState == KafkaStreams.State.PENDING_ERROR) {
            runner.stopped.countDown();
          }
        });
    streams.start();
    log.info(
        "spanlinks running. application.id=[{}] orders=[{}] batches=[{}]",
        config.applicationId(),
        config.ordersTopic(),
        config.batchesTopic());
    return runner;
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  /** Waits until Kafka Streams stops by itself (a failure) or {@link #close()} is called. */
  public boolean awaitStop(Duration timeout) throws InterruptedException {
    return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The error that stopped Kafka Streams, or null. */
  public Throwable failure() {
    return failure.get();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    boolean streamsClosed = streams.close(closeTimeout);
    // An SDK of ours is flushed here; the Java agent's flushes in its own shutdown hook.
    boolean flushed =
        !(openTelemetry instanceof OpenTelemetrySdk sdk)
            || sdk.shutdown().join(10, TimeUnit.SECONDS).isSuccess();
    String telemetry =
        flushed ? "telemetry flushed" : "telemetry NOT flushed within 10 s (some may be lost)";
    if (streamsClosed && flushed) {
      log.info("spanlinks stopped cleanly: Kafka Streams closed, {}", telemetry);
    } else if (streamsClosed) {
      log.warn("spanlinks stopped: Kafka Streams closed, {}", telemetry);
    } else {
      log.warn(
          "spanlinks stopped WITHOUT a clean close: Kafka Streams did not close within {} ms"
              + " (spanlinks.close.timeout.ms); the next start restores state and redoes"
              + " uncommitted work. {}",
          closeTimeout.toMillis(),
          telemetry);
    }
    stopped.countDown();
  }
}
