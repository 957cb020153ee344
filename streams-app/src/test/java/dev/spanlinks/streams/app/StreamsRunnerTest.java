package dev.spanlinks.streams.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.trace.SpanExportTimeoutException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

/** Which stream-thread failures a new thread retries, and which stop the application. */
class StreamsRunnerTest {
  @Test
  void shouldRetryACloseWhoseSpansTheExporterDidNotTakeInTime() {
    // Kafka Streams hands the handler its own wrapping of what the processor threw.
    assertThat(
            StreamsRunner.isSpanExportTimeout(
                new StreamsException(
                    "Exception caught in process", new SpanExportTimeoutException(60_000))))
        .isTrue();
  }

  @Test
  void shouldStopOnAnyOtherFailure() {
    assertThat(
            StreamsRunner.isSpanExportTimeout(
                new StreamsException("Exception caught in process", new IllegalStateException())))
        .isFalse();
  }
}
