package dev.spanlinks.streams;

import org.apache.kafka.common.InvalidRecordException;

/**
 * A record spanlinks did not send because the broker would refuse it, or refused the same record
 * before ({@link CheckedWritesProducer}). Nothing reached the producer, so under exactly-once the
 * transaction is still good: {@link DeadLetterHandler} writes the record to the dead-letter topic
 * in its place, inside the same transaction.
 */
final class RefusedBeforeSendException extends InvalidRecordException {
  private static final long serialVersionUID = 1L;

  RefusedBeforeSendException(String message) {
    super(message);
  }
}
