package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.trace.SpanExportTimeoutException;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

/** Which stream-thread failures a new thread retries, and which go to the embedder's choice. */
class RetryingExceptionHandlerTest {
  @Test
  void shouldReplaceTheThreadWhenTheExporterDidNotTakeACloseInTime() {
    // Kafka Streams hands the handler its own wrapping of what the processor threw.
    assertThat(
            new RetryingExceptionHandler()
                .handle(
                    new StreamsException(
                        "Exception caught in process", new SpanExportTimeoutException(60_000))))
        .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
  }

  @Test
  void shouldReplaceTheThreadWhenTheBrokerRefusedARecord() {
    assertThat(
            new RetryingExceptionHandler()
                .handle(
                    new StreamsException(
                        "Error encountered sending record", new RecordTooLargeException("big"))))
        .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
  }

  @Test
  void shouldLeaveAnyOtherFailureToTheEmbeddersChoiceAndShutDownByDefault() {
    StreamsException other =
        new StreamsException("Exception caught in process", new IllegalStateException());
    assertThat(new RetryingExceptionHandler().handle(other))
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);

    List<Throwable> seen = new ArrayList<>();
    RetryingExceptionHandler handler =
        new RetryingExceptionHandler(
            exception -> {
              seen.add(exception);
              return StreamThreadExceptionResponse.SHUTDOWN_APPLICATION;
            });
    assertThat(handler.handle(other)).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_APPLICATION);
    assertThat(seen).containsExactly(other);
  }
}
