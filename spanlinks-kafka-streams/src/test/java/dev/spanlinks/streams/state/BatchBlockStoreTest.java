package dev.spanlinks.streams.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.state.ContributionStore.BatchWindow;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.IntegerDeserializer;
import org.apache.kafka.common.serialization.IntegerSerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The typed store of the close step: what {@link BatchBlockStore#drain} hands over, and its
 * scan-then-tombstone rule under Kafka Streams' record cache.
 *
 * <p>Issue 12: "the close scans the contributions store while writing tombstones; with a small
 * record cache, evictions during the scan may hide blocks from the iterator". The property test
 * ({@link TopologyModelTest}, tiny-cache variants) cannot show it: the test driver commits, and so
 * flushes the cache, after every record, so a close never starts with unflushed blocks. A running
 * application commits every {@code commit.interval.ms}, and a close does find blocks written since
 * the last commit still only in the cache.
 *
 * <p>So this test drives the contributions store ({@link
 * ContributionStore#contributionsStore(String)}, cached and changelogged as in the topology) with a
 * processor that does, within one {@code process} call, what happens between two commits: blocks
 * are written (the early ones evicted to RocksDB, the late ones still dirty in the cache), then the
 * window is closed through {@link BatchBlockStore#drain}, as the close step closes it. Tombstones
 * written during the scan, as the close first did, evicted blocks still only in the cache into
 * RocksDB behind the open iterator: with a 16 KB cache the close read 191 of the 200 blocks, and
 * the other 9 stayed in the store, never emitted.
 */
class BatchBlockStoreTest {
  private static final long HOUR = 3_600_000L;
  private static final int BLOCKS = 200;
  private static final int BLOCK_BYTES = 500;

  @TempDir Path stateDir;

  @ParameterizedTest(name = "statestore.cache.max.bytes={0}")
  @ValueSource(longs = {0L, 1_024L, 16_384L, 65_536L, 10_485_760L})
  void shouldReadEveryBlockWhenTheCloseFollowsTheWritesBeforeACommit(long cacheBytes) {
    assertThat(closeAfterWrites(cacheBytes, true))
        .as("blocks read by the close / blocks left in the store afterwards")
        .containsExactly(BLOCKS, 0);
  }

  @ParameterizedTest(name = "statestore.cache.max.bytes={0}")
  @ValueSource(longs = {0L, 1_024L, 16_384L, 65_536L, 10_485_760L})
  void shouldReadEveryBlockWhenACommitCameBetweenWritesAndClose(long cacheBytes) {
    assertThat(closeAfterWrites(cacheBytes, false))
        .as("blocks read by the close / blocks left in the store afterwards")
        .containsExactly(BLOCKS, 0);
  }

  /** Blocks the close read, and blocks left in the store after it. */
  private List<Integer> closeAfterWrites(long cacheBytes, boolean sameCall) {
    Topology topology = new Topology();
    topology.addSource("in", new StringDeserializer(), new StringDeserializer(), "in");
    topology.addProcessor("scan", () -> new WriteThenClose(), "in");
    topology.addStateStore(ContributionStore.contributionsStore("batch-contributions"), "scan");
    topology.addSink("out", "out", new StringSerializer(), new IntegerSerializer(), "scan");
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "cache-scan");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, cacheBytes);
    try (TopologyTestDriver driver = new TopologyTestDriver(topology, props)) {
      TestInputTopic<String, String> in =
          driver.createInputTopic("in", new StringSerializer(), new StringSerializer());
      TestOutputTopic<String, Integer> out =
          driver.createOutputTopic("out", new StringDeserializer(), new IntegerDeserializer());
      if (sameCall) {
        in.pipeInput("write-and-close", "");
      } else {
        in.pipeInput("write", ""); // the driver commits after every record
        in.pipeInput("close", "");
      }
      int read = out.readValue();
      KeyValueStore<Bytes, byte[]> store = driver.getKeyValueStore("batch-contributions");
      int left = 0;
      try (KeyValueIterator<Bytes, byte[]> all = store.all()) {
        while (all.hasNext()) {
          all.next();
          left++;
        }
      }
      return List.of(read, left);
    }
  }

  private static final class WriteThenClose implements Processor<String, String, String, Integer> {
    private ProcessorContext<String, Integer> context;
    private KeyValueStore<Bytes, byte[]> contributions;
    private BatchBlockStore blocks;

    @Override
    public void init(ProcessorContext<String, Integer> context) {
      this.context = context;
      this.contributions = context.getStateStore("batch-contributions");
      long[] nextBlock = {0};
      this.blocks = new BatchBlockStore(contributions, () -> nextBlock[0]++);
    }

    @Override
    public void process(Record<String, String> record) {
      if (record.key().startsWith("write")) {
        for (int block = 0; block < BLOCKS; block++) {
          BatchWindow batch = new BatchWindow(0L, "key-" + (block % 40));
          contributions.put(ContributionStore.blockKey(batch, block), new byte[BLOCK_BYTES]);
        }
      }
      if (record.key().endsWith("close")) {
        context.forward(record.withKey("read").withValue(closeWindowZero()));
      }
    }

    /** The blocks the drain handed over: all unreadable here, 500 zero bytes each. */
    private int closeWindowZero() {
      int[] read = {0};
      blocks.drain(
          Long.MIN_VALUE,
          HOUR,
          new Counting() {
            @Override
            public void unreadableBlock(BatchWindow batch, int bytes, RuntimeException reason) {
              read[0]++;
            }
          });
      return read[0];
    }
  }

  @Test
  void shouldHandOverEachBatchsContributionsTogetherInArrivalOrderThenDeleteThem() {
    KeyValueStore<Bytes, byte[]> store = memoryStore();
    long[] nextBlock = {0};
    BatchBlockStore blocks = new BatchBlockStore(store, () -> nextBlock[0]++);
    BatchWindow eu = new BatchWindow(0L, "eu");
    BatchWindow us = new BatchWindow(0L, "us");
    BatchWindow later = new BatchWindow(HOUR, "eu");
    for (int n = 0; n < 30; n++) { // several blocks each: a block stops below 1 KiB
      blocks.add(n % 2 == 0 ? eu : us, contribution("o-" + n, n == 7));
    }
    blocks.add(later, contribution("o-later", false));

    assertThat(blocks.lastWindowStart(Long.MIN_VALUE, HOUR)).hasValue(0L);
    assertThat(blocks.lastWindowStart(Long.MIN_VALUE, 2 * HOUR)).hasValue(HOUR);
    List<String> handedOver = new ArrayList<>();
    boolean any =
        blocks.drain(
            Long.MIN_VALUE,
            HOUR,
            new Counting() {
              @Override
              public void contribution(BatchWindow batch, Contribution contribution) {
                handedOver.add(batch.batchKey() + ":" + contribution.orderId());
              }

              @Override
              public void sampled(BatchWindow batch) {
                handedOver.add(batch.batchKey() + ":sampled");
              }
            });

    assertThat(any).isTrue();
    List<String> expected = new ArrayList<>();
    for (int n = 0; n < 30; n += 2) {
      expected.add("eu:o-" + n);
    }
    // o-7 was sampled, but nothing marks it in the store: the close learns it from the blocks.
    for (int n = 1; n < 30; n += 2) {
      expected.add("us:o-" + n);
    }
    assertThat(handedOver).containsExactlyElementsOf(expected);
    assertThat(blocks.lastWindowStart(Long.MIN_VALUE, HOUR)).as("deleted").isEmpty();
    assertThat(blocks.lastWindowStart(HOUR, 2 * HOUR)).as("a later window stays").hasValue(HOUR);
    assertThat(blocks.drain(Long.MIN_VALUE, HOUR, new Counting())).isFalse();
  }

  @Test
  void shouldWriteOnlyTheBlocksOfABatchWithSampledOrders() {
    KeyValueStore<Bytes, byte[]> store = memoryStore();
    long[] nextBlock = {0};
    BatchBlockStore blocks = new BatchBlockStore(store, () -> nextBlock[0]++);
    blocks.add(new BatchWindow(0L, "eu"), contribution("o-1", true));

    List<Bytes> keys = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> all = store.all()) {
      all.forEachRemaining(entry -> keys.add(entry.key));
    }
    assertThat(keys).containsExactly(ContributionStore.blockKey(new BatchWindow(0L, "eu"), 0));
  }

  /**
   * A batch whose first span starts before all its orders are seen asks what is ahead: the answer
   * must say whether any order not handed over yet was sampled, wherever it is in the batch.
   */
  @ParameterizedTest(name = "sampled order at {0} of 60")
  @ValueSource(ints = {-1, 0, 1, 16, 17, 40, 59})
  void shouldSayWhetherAnOrderAheadWasSampled(int sampledAt) {
    KeyValueStore<Bytes, byte[]> store = memoryStore();
    long[] nextBlock = {0};
    BatchBlockStore blocks = new BatchBlockStore(store, () -> nextBlock[0]++);
    BatchWindow eu = new BatchWindow(0L, "eu");
    BatchWindow us = new BatchWindow(0L, "us");
    for (int n = 0; n < 60; n++) { // several blocks: a block stops below 1 KiB
      blocks.add(eu, contribution("o-" + n, n == sampledAt));
    }
    blocks.add(us, contribution("u-0", true)); // the next batch's sampled order is not eu's

    List<Boolean> aheadAtEach = new ArrayList<>();
    List<Boolean> sampledSoFar = new ArrayList<>();
    blocks.drain(
        Long.MIN_VALUE,
        HOUR,
        new Counting() {
          @Override
          public void contribution(BatchWindow batch, Contribution contribution) {
            if (batch.equals(eu)) {
              boolean before = !sampledSoFar.isEmpty() && sampledSoFar.get(sampledSoFar.size() - 1);
              sampledSoFar.add(before || contribution.spanContext().isSampled());
              aheadAtEach.add(blocks.sampledAhead(eu));
            } else {
              assertThat(blocks.sampledAhead(eu)).as("the scan has left eu").isFalse();
            }
          }
        });

    assertThat(aheadAtEach).hasSize(60);
    for (int n = 0; n < 60; n++) {
      assertThat(sampledSoFar.get(n) || aheadAtEach.get(n))
          .as("after order %d: sampled so far, or ahead", n)
          .isEqualTo(sampledAt >= 0);
    }
    assertThat(blocks.sampledAhead(eu)).as("no drain under way").isFalse();
  }

  @Test
  void shouldStillReadTheSampledMarkerOfAnEarlierVersion() {
    KeyValueStore<Bytes, byte[]> store = memoryStore();
    long[] nextBlock = {0};
    BatchBlockStore blocks = new BatchBlockStore(store, () -> nextBlock[0]++);
    BatchWindow eu = new BatchWindow(0L, "eu");
    blocks.add(eu, contribution("o-1", false));
    store.put(ContributionStore.sampledMarkerKey(eu), ContributionStore.MARKER_VALUE);

    List<String> handedOver = new ArrayList<>();
    blocks.drain(
        Long.MIN_VALUE,
        HOUR,
        new Counting() {
          @Override
          public void contribution(BatchWindow batch, Contribution contribution) {
            handedOver.add(contribution.orderId());
          }

          @Override
          public void sampled(BatchWindow batch) {
            handedOver.add("sampled");
          }
        });

    assertThat(handedOver).containsExactly("sampled", "o-1");
    assertThat(blocks.lastWindowStart(Long.MIN_VALUE, HOUR)).as("marker deleted too").isEmpty();
  }

  /** A drain that ignores what it is handed. */
  private static class Counting implements BatchBlockStore.Drain {
    @Override
    public void contribution(BatchWindow batch, Contribution contribution) {}

    @Override
    public void sampled(BatchWindow batch) {}

    @Override
    public void unreadableBlock(BatchWindow batch, int bytes, RuntimeException reason) {}
  }

  private static Contribution contribution(String id, boolean sampled) {
    SpanContext context =
        SpanContext.createFromRemoteParent(
            "0af7651916cd43dd8448eb211c80319c",
            "b7ad6b7169203331",
            sampled ? TraceFlags.getSampled() : TraceFlags.getDefault(),
            TraceState.getDefault());
    return new Contribution(id, 1_000L, 0, 42L, BigDecimal.ONE, "EUR", context, 0);
  }

  private static KeyValueStore<Bytes, byte[]> memoryStore() {
    KeyValueStore<Bytes, byte[]> store =
        org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore("blocks"),
                org.apache.kafka.common.serialization.Serdes.Bytes(),
                org.apache.kafka.common.serialization.Serdes.ByteArray())
            .withLoggingDisabled()
            .build();
    store.init(
        new org.apache.kafka.streams.processor.api.MockProcessorContext<>().getStateStoreContext(),
        store);
    return store;
  }
}
