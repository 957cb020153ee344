package dev.spanlinks.streams;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Thrown while reading an input record that spanlinks cannot batch: a value a deserializer or a
 * {@link RecordReader} refuses, or one whose writes would pass the brokers' limits. It is bad
 * input, not a bug: the dead-letter handler sends such records to the dead-letter topic and
 * processing goes on. The message is the reason written to the dead-letter record; it never quotes
 * the payload.
 */
public final class RejectedRecordException extends SerializationException {
  private static final long serialVersionUID = 1L;

  /**
   * @param reason what is wrong with the record, for the dead-letter topic and the log
   */
  public RejectedRecordException(String reason) {
    super(reason);
  }

  /** Bad input is a normal case; a stack trace per rejected record would only cost time. */
  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
