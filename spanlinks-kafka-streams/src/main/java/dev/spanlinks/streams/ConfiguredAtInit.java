package dev.spanlinks.streams;

import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * A processor of a linked stream, built when its task starts from the application's configuration
 * ({@code spanlinks.*} keys passed through the Kafka Streams properties, as Kafka's own settings
 * are) with the builder's settings over them ({@link LinkedWindows.Builder}). Built once: Kafka
 * Streams may call {@link #init} again on a revived task, and the processor handles that itself.
 */
final class ConfiguredAtInit<KIn, VIn, KOut, VOut> implements Processor<KIn, VIn, KOut, VOut> {
  private final Map<String, ?> settings;
  private final Function<BatchConfig, Processor<KIn, VIn, KOut, VOut>> factory;
  private Processor<KIn, VIn, KOut, VOut> processor;

  ConfiguredAtInit(
      Map<String, ?> settings, Function<BatchConfig, Processor<KIn, VIn, KOut, VOut>> factory) {
    this.settings = settings;
    this.factory = factory;
  }

  @Override
  public void init(ProcessorContext<KOut, VOut> context) {
    if (processor == null) {
      processor = factory.apply(new BatchConfig(context.appConfigs()).withSettings(settings));
    }
    processor.init(context);
  }

  @Override
  public void process(Record<KIn, VIn> record) {
    processor.process(record);
  }

  @Override
  public void close() {
    if (processor != null) {
      processor.close();
    }
  }

  /** The same for a processor that keeps each record's key. */
  static final class FixedKey<KIn, VIn, VOut> implements FixedKeyProcessor<KIn, VIn, VOut> {
    private final Map<String, ?> settings;
    private final Function<BatchConfig, FixedKeyProcessor<KIn, VIn, VOut>> factory;
    private FixedKeyProcessor<KIn, VIn, VOut> processor;

    FixedKey(
        Map<String, ?> settings, Function<BatchConfig, FixedKeyProcessor<KIn, VIn, VOut>> factory) {
      this.settings = settings;
      this.factory = factory;
    }

    @Override
    public void init(FixedKeyProcessorContext<KIn, VOut> context) {
      if (processor == null) {
        processor = factory.apply(new BatchConfig(context.appConfigs()).withSettings(settings));
      }
      processor.init(context);
    }

    @Override
    public void process(FixedKeyRecord<KIn, VIn> record) {
      processor.process(record);
    }

    @Override
    public void close() {
      if (processor != null) {
        processor.close();
      }
    }
  }
}
