package dev.spanlinks.streams;

import org.apache.kafka.streams.processor.api.ContextualFixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * The step before a user's repartition by batch key ({@link
 * LinkedWindows.Builder#beforeRepartition}): holds each record to the rules and the {@link
 * WriteLimits} before its repartitioned copy is written, and notes its input position in headers
 * ({@link SourcePosition}), so that its link names the record itself, not its copy. A record that
 * breaks a rule throws {@link RejectedRecordException}: the dead-letter handler sends it to the
 * dead-letter topic. Stateless.
 */
final class BeforeRepartitionProcessor<K, V> extends ContextualFixedKeyProcessor<K, V, V> {
  private final RecordReader<K, V> reader;
  private final WriteLimits limits;

  BeforeRepartitionProcessor(RecordReader<K, V> reader, WriteLimits limits) {
    this.reader = reader;
    this.limits = limits;
  }

  @Override
  public void process(FixedKeyRecord<K, V> record) {
    DeferredRejection.throwIfRejected(record.headers());
    CaptureRecordProcessor.Checked checked =
        CaptureRecordProcessor.check(reader, record.key(), record.value(), record.timestamp());
    limits.admit(
        checked.read().batchKey(),
        checked.eventTimeMs(),
        record.headers(),
        context().currentSystemTimeMs());
    context().forward(record.withHeaders(SourcePosition.marked(record.headers(), context())));
  }
}
