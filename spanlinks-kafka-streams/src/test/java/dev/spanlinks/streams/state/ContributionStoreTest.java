package dev.spanlinks.streams.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.state.ContributionStore.BatchWindow;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;

class ContributionStoreTest {
  private static final TraceState STATE =
      TraceState.builder().put("rojo", "00f067aa0ba902b7").put("congo", "t61").build();
  private static final SpanContext LINKED =
      SpanContext.createFromRemoteParent(
          "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", TraceFlags.getDefault(), STATE);

  @Test
  void shouldRoundTripKeys() {
    BatchWindow batch = new BatchWindow(1_768_471_200_000L, "eu-west-é");
    ContributionStore.StoredKey key =
        ContributionStore.decodeKey(ContributionStore.blockKey(batch, 9_000_000_000L));
    assertThat(key.batch()).isEqualTo(batch);
    assertThat(key.isSampledMarker()).isFalse();
    assertThat(ContributionStore.decodeKey(ContributionStore.sampledMarkerKey(batch)))
        .satisfies(marker -> assertThat(marker.isSampledMarker()).isTrue());
  }

  @Test
  void shouldSortKeysByWindowThenBatchKeyThenBlockAndKeepEachBatchContiguous() {
    List<Bytes> encoded =
        List.of(
            ContributionStore.blockKey(new BatchWindow(-3_600_000L, "eu"), 7),
            ContributionStore.sampledMarkerKey(new BatchWindow(0L, "eu")),
            ContributionStore.blockKey(new BatchWindow(0L, "eu"), 3),
            ContributionStore.blockKey(new BatchWindow(0L, "eu"), 256),
            ContributionStore.blockKey(new BatchWindow(0L, "eux"), 1),
            ContributionStore.blockKey(new BatchWindow(3_600_000L, "a"), 0));
    List<Bytes> sorted = new ArrayList<>(encoded);
    sorted.sort(Bytes::compareTo);
    assertThat(sorted).isEqualTo(encoded);
  }

  @Test
  void shouldPlaceWindowPrefixBeforeItsEntriesAndAfterEarlierWindows() {
    Bytes prefix = ContributionStore.windowPrefix(3_600_000L);
    Bytes earlier = ContributionStore.blockKey(new BatchWindow(0L, "zzz"), Long.MAX_VALUE);
    Bytes same = ContributionStore.sampledMarkerKey(new BatchWindow(3_600_000L, ""));
    assertThat(earlier.compareTo(prefix)).isNegative();
    assertThat(same.compareTo(prefix)).isPositive();
  }

  @Test
  void shouldRoundTripABlockOfLinkedAndUnlinkedOrdersInArrivalOrder() {
    Contribution linked =
        new Contribution("o-1", 42L, 3, 9_000_000_000L, new BigDecimal("12.50"), "EUR", LINKED, 0);
    Contribution unlinked =
        new Contribution("o-2", 1L, 0, 0L, BigDecimal.ONE, "USD", SpanContext.getInvalid(), 0);
    byte[] block =
        ContributionStore.append(
            ContributionStore.newBlock(ContributionStore.encodeEntry(linked, 0L)),
            ContributionStore.encodeEntry(unlinked, 0L));

    List<Contribution> decoded = new ArrayList<>();
    ContributionStore.decodeValue(anyBlockKey(), block, decoded::add);

    assertThat(decoded).containsExactly(linked, unlinked);
    assertThat(decoded.get(0).spanContext().getTraceState().asMap()).isEqualTo(STATE.asMap());
    assertThat(decoded.get(0).amount().scale()).isEqualTo(2);
    assertThat(ContributionStore.encodeEntry(unlinked, 0L).length).isLessThan(40);
  }

  @Test
  void shouldFillABlockUpToItsLimitThenStartTheNextWithTheNextId() {
    long[] nextId = {100};
    OpenBlocks blocks = new OpenBlocks(() -> nextId[0]++);
    BatchWindow batch = new BatchWindow(0L, "eu");
    List<KeyValue<Bytes, byte[]>> puts = new ArrayList<>();
    for (int offset = 100; offset < 140; offset++) {
      Contribution order =
          new Contribution("o-" + offset, 1L, 0, offset, BigDecimal.TEN, "EUR", LINKED, 0);
      puts.add(blocks.append(batch, ContributionStore.encodeEntry(order, 0L)));
    }

    List<Bytes> blockKeys = puts.stream().map(put -> put.key).distinct().toList();
    assertThat(blockKeys)
        .as("blocks take ids from the sequence, in order")
        .startsWith(ContributionStore.blockKey(batch, 100), ContributionStore.blockKey(batch, 101))
        .hasSizeGreaterThan(1);
    assertThat(puts)
        .as("key and value of every changelog record within 1 KiB")
        .allSatisfy(
            put -> assertThat(put.key.get().length + put.value.length).isLessThanOrEqualTo(1024));
    List<String> ids = new ArrayList<>();
    for (Bytes key : blockKeys) {
      byte[] last =
          puts.stream().filter(put -> put.key.equals(key)).reduce((a, b) -> b).get().value;
      ContributionStore.decodeValue(
          ContributionStore.decodeKey(key), last, order -> ids.add(order.orderId()));
    }
    assertThat(ids).as("every order once, in order, across the blocks").hasSize(40);
    assertThat(ids.get(0)).isEqualTo("o-100");
    assertThat(ids.get(39)).isEqualTo("o-139");
    assertThat(ids).doesNotHaveDuplicates();
  }

  @Test
  void shouldGiveAnOrderLargerThanABlockABlockOfItsOwn() {
    long[] nextId = {0};
    OpenBlocks blocks = new OpenBlocks(() -> nextId[0]++);
    BatchWindow batch = new BatchWindow(0L, "eu");
    Contribution small = new Contribution("o-1", 1L, 0, 1, BigDecimal.TEN, "EUR", LINKED, 0);
    Contribution huge =
        new Contribution("o-" + "x".repeat(2_000), 1L, 0, 2, BigDecimal.TEN, "EUR", LINKED, 0);
    KeyValue<Bytes, byte[]> first = blocks.append(batch, ContributionStore.encodeEntry(small, 0L));
    KeyValue<Bytes, byte[]> second = blocks.append(batch, ContributionStore.encodeEntry(huge, 0L));
    KeyValue<Bytes, byte[]> third = blocks.append(batch, ContributionStore.encodeEntry(small, 0L));
    assertThat(second.key).isNotEqualTo(first.key);
    assertThat(third.key).isNotEqualTo(second.key);
  }

  @Test
  void shouldForgetTheLeastRecentlyWrittenBlockPastTheLimitOfOpenBlocks() {
    long[] nextId = {0};
    OpenBlocks blocks = new OpenBlocks(() -> nextId[0]++);
    byte[] entry =
        ContributionStore.encodeEntry(
            new Contribution("o-1", 1L, 0, 1, BigDecimal.TEN, "EUR", LINKED, 0), 0L);
    BatchWindow oldest = new BatchWindow(0L, "batch-0");
    BatchWindow recent = new BatchWindow(0L, "batch-1");
    Bytes oldestBlock = blocks.append(oldest, entry).key;
    Bytes recentBlock = blocks.append(recent, entry).key;
    for (int i = 2; i <= OpenBlocks.MAX_OPEN_BLOCKS; i++) {
      blocks.append(new BatchWindow(0L, "batch-" + i), entry);
      if (i % 1000 == 0) {
        blocks.append(recent, entry); // keeps it recently written
      }
    }
    assertThat(blocks.append(recent, entry).key).isEqualTo(recentBlock);
    assertThat(blocks.append(oldest, entry).key)
        .as("forgotten: a new block, never the old one overwritten")
        .isNotEqualTo(oldestBlock);
  }

  @Test
  void shouldStillReadTheOneEntryPerOrderFormatOfEarlierVersions() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(1);
      out.writeLong(42L);
      out.writeInt(3);
      out.writeLong(77L);
      out.writeUTF("12.50");
      out.writeUTF("EUR");
      out.writeInt(2); // redeliveries
      out.writeBoolean(true);
      out.write(LINKED.getTraceIdBytes());
      out.write(LINKED.getSpanIdBytes());
      out.writeByte(1);
      out.writeUTF("");
    }
    Bytes formatOneKey =
        ContributionStore.key(new BatchWindow(0L, "eu"), "o-7".getBytes(StandardCharsets.UTF_8));

    List<Contribution> decoded = new ArrayList<>();
    ContributionStore.decodeValue(
        ContributionStore.decodeKey(formatOneKey), bytes.toByteArray(), decoded::add);

    assertThat(decoded).hasSize(1);
    Contribution order = decoded.get(0);
    assertThat(order.orderId()).isEqualTo("o-7");
    assertThat(order.offset()).isEqualTo(77L);
    assertThat(order.amount()).isEqualByComparingTo("12.50");
    assertThat(order.duplicates()).isEqualTo(2);
    assertThat(order.spanContext().getSpanId()).isEqualTo(LINKED.getSpanId());
    assertThat(order.spanContext().isSampled()).isTrue();
  }

  private static ContributionStore.StoredKey anyBlockKey() {
    return ContributionStore.decodeKey(ContributionStore.blockKey(new BatchWindow(0L, "eu"), 1L));
  }
}
