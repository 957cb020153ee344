package dev.spanlinks.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.benchmarks.ProfileBreakdown.Part;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProfileBreakdownTest {

  @Test
  void shouldPutASampleInTheFirstPartAnyOfItsFramesBelongsTo() {
    String source = "org.apache.kafka.streams.processor.internals.SourceNode.deserializeValue";
    String sink = "org.apache.kafka.streams.processor.internals.SinkNode.process";
    String close = "dev.spanlinks.streams.CloseWindowsProcessor.emitWindows";
    String put = "org.apache.kafka.streams.state.internals.MeteredKeyValueStore.put";
    String range = "org.apache.kafka.streams.state.internals.MeteredKeyValueStore.range";

    assertThat(
            Part.of(
                List.of(
                    "java.util.HashMap.putVal",
                    "dev.spanlinks.app.orders.OrderJson.parseOrder",
                    source)))
        .as("a parse inside the source node, though spanlinks' own code parses")
        .isEqualTo(Part.PARSE);
    assertThat(Part.of(List.of("io.opentelemetry.sdk.trace.SdkSpanBuilder.addLink", close)))
        .isEqualTo(Part.SPANS);
    assertThat(Part.of(List.of("java.util.HashMap.putVal", put, close)))
        .isEqualTo(Part.STORE_WRITES);
    assertThat(Part.of(List.of("java.util.TreeMap.get", range, close))).isEqualTo(Part.STORE_READS);
    assertThat(Part.of(List.of("java.nio.HeapByteBuffer.<init>", sink, close)))
        .isEqualTo(Part.OUTPUT);
    assertThat(Part.of(List.of("java.util.ArrayList.add", close))).isEqualTo(Part.TOPOLOGY);
    assertThat(Part.of(List.of("sun.nio.ch.EPoll.wait"))).isEqualTo(Part.OTHER);
  }

  @Test
  void shouldTellEachVariantsThreadsApart() {
    assertThat(ProfileBreakdown.groupOf("bench-ours-1234-0f9e-StreamThread-1"))
        .isEqualTo("bench-ours stream threads");
    assertThat(
            ProfileBreakdown.groupOf(
                "kafka-producer-network-thread | bench-count-9-StreamThread-1-producer"))
        .isEqualTo("bench-count other threads");
    assertThat(ProfileBreakdown.groupOf("BatchSpanProcessor_WorkerThread-1"))
        .isEqualTo("span export threads (spanlinks)");
    assertThat(ProfileBreakdown.groupOf("data-plane-kafka-request-handler-0")).isNull();
  }
}
