package dev.spanlinks.streams;

import dev.spanlinks.streams.trace.SpanExportTimeoutException;
import java.util.Objects;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The uncaught-exception handler a topology with spanlinks needs: it replaces the stream thread for
 * the two failures that a new thread gets past, and leaves every other failure to {@code otherwise}
 * (by default, {@code SHUTDOWN_CLIENT}, Kafka Streams' own default).
 *
 * <ul>
 *   <li>A window close that waited too long for the span exporter ({@link
 *       SpanExportTimeoutException}): its transaction aborts with the thread, and the new thread
 *       closes the windows again, under the same span ids.
 *   <li>A write the broker refused under exactly-once ({@link DeadLetterHandler#isRefusal}): the
 *       transaction is doomed; the new thread processes the input again and the refused record goes
 *       to the dead-letter topic before anything is written for it.
 * </ul>
 *
 * <p>Without it, Kafka Streams' default shuts the client down on either: an exporter that hangs, or
 * one record too large for a topic whose limit was lowered, would stop the application.
 *
 * <pre>{@code
 * streams.setUncaughtExceptionHandler(new RetryingExceptionHandler());
 * }</pre>
 */
public final class RetryingExceptionHandler implements StreamsUncaughtExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(RetryingExceptionHandler.class);

  private final StreamsUncaughtExceptionHandler otherwise;

  /** Shuts the client down on any other failure, as Kafka Streams does by default. */
  public RetryingExceptionHandler() {
    this(exception -> StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  /**
   * @param otherwise decides on every failure a new thread would not get past
   */
  public RetryingExceptionHandler(StreamsUncaughtExceptionHandler otherwise) {
    this.otherwise = Objects.requireNonNull(otherwise, "otherwise");
  }

  @Override
  public StreamThreadExceptionResponse handle(Throwable exception) {
    if (isSpanExportTimeout(exception)) {
      log.warn("Replacing the stream thread: a window close will be retried");
      return StreamThreadExceptionResponse.REPLACE_THREAD;
    }
    if (DeadLetterHandler.isRefusal(exception)) {
      log.warn("Replacing the stream thread: a write the broker refused is dead-lettered");
      return StreamThreadExceptionResponse.REPLACE_THREAD;
    }
    return otherwise.handle(exception);
  }

  /** True when {@code exception} or a cause is a {@link SpanExportTimeoutException}. */
  static boolean isSpanExportTimeout(Throwable exception) {
    for (Throwable cause = exception; cause != null; cause = cause.getCause()) {
      if (cause instanceof SpanExportTimeoutException) {
        return true;
      }
    }
    return false;
  }
}
