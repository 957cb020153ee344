package dev.spanlinks.streams.trace;

/**
 * The span exporter did not take a closing window's spans in time. Thrown from the close, so that
 * Kafka Streams aborts the transaction holding the window's batches and processes them again (with
 * the same span ids) instead of committing batches whose spans were never sent.
 */
public final class SpanExportTimeoutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * @param timeoutMs how long the exporter was waited for ({@code spanlinks.export.timeout.ms})
   */
  public SpanExportTimeoutException(long timeoutMs) {
    super(
        "The span exporter did not take the closing batches' spans within "
            + timeoutMs
            + " ms (spanlinks.export.timeout.ms); failing the close so that its transaction is"
            + " aborted and retried. Is the OTLP endpoint slow or hanging?");
  }
}
