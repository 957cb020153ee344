package dev.spanlinks.streams.state;

import dev.spanlinks.streams.state.ContributionStore.BatchWindow;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The contributions store as the close step uses it, in batches and contributions rather than
 * bytes: it owns the key layout ({@link ContributionStore}, as Kafka's {@code WindowKeySchema} owns
 * a window store's), the blocks being filled ({@link OpenBlocks}), and the rule that a close scans
 * its windows first and writes their tombstones only after the scan.
 *
 * <p>A batch's first span starts with its sampling known: whether any of its orders arrived
 * sampled. A batch of one chunk of links starts it once all its contributions have been handed
 * over, and knows; a larger batch starts it earlier and asks {@link #sampledAhead}, which reads the
 * rest of the batch as far as its first sampled contribution. Nothing is written for it when an
 * order is stored: earlier versions wrote a marker entry per sampled batch (a put and a tombstone
 * more per batch, most of a one-order batch's writes), which is still read.
 *
 * <p>One per task, built at the processor's {@code init}: nothing in it outlives a revived task but
 * the store itself.
 */
public final class BatchBlockStore {
  /**
   * What {@link #drain} hands over, batch by batch, in key order: one batch's calls are adjacent.
   */
  public interface Drain {
    /** One stored contribution of {@code batch}, in the order they arrived. */
    void contribution(BatchWindow batch, Contribution contribution);

    /**
     * {@code batch} has a sampled marker, written by an earlier version: before its contributions.
     */
    void sampled(BatchWindow batch);

    /**
     * A block of {@code batch} that cannot be read (written by a version with a bug, say): it is
     * deleted with the rest, since a close that failed on it would fail again on every restart.
     */
    void unreadableBlock(BatchWindow batch, int bytes, RuntimeException reason);
  }

  /** Past the longest suffix of a batch's keys (a block id, or a format-1 order id's UTF-8). */
  private static final byte[] AFTER_EVERY_SUFFIX = filled(16, (byte) 0xFF);

  private final KeyValueStore<Bytes, byte[]> store;
  private final OpenBlocks openBlocks;

  /** The contributions of the block being handed over; reused. */
  private final List<Contribution> block = new ArrayList<>();

  /** Where a drain's scan is: the key and batch of the block being handed over; null when none. */
  private Bytes scanKey;

  private BatchWindow scanBatch;
  private boolean scanBlockSampled;

  /**
   * @param newBlockId the id of the next block, never one given before on this task
   */
  public BatchBlockStore(KeyValueStore<Bytes, byte[]> store, LongSupplier newBlockId) {
    this.store = store;
    this.openBlocks = new OpenBlocks(newBlockId);
  }

  /** Adds one contribution to its batch: to the block the batch is filling, or a new one. */
  public void add(BatchWindow batch, Contribution contribution) {
    KeyValue<Bytes, byte[]> entry =
        openBlocks.append(
            batch, ContributionStore.encodeEntry(contribution, batch.windowStartMs()));
    store.put(entry.key, entry.value);
  }

  /**
   * The start of the last window starting in {@code [fromWindowStart, toWindowStart)} that holds a
   * contribution; empty when none does.
   */
  public OptionalLong lastWindowStart(long fromWindowStart, long toWindowStart) {
    try (KeyValueIterator<Bytes, byte[]> last =
        store.reverseRange(
            ContributionStore.windowPrefix(fromWindowStart),
            ContributionStore.windowPrefix(toWindowStart))) {
      return last.hasNext()
          ? OptionalLong.of(ContributionStore.decodeKey(last.next().key).batch().windowStartMs())
          : OptionalLong.empty();
    }
  }

  /** Forgets the blocks being filled for windows starting before {@code boundary}: closed. */
  public void forgetOpenBlocksBefore(long boundary) {
    openBlocks.forgetWindowsBefore(boundary);
  }

  /**
   * Hands every contribution of the windows starting in {@code [fromWindowStart, toWindowStart)} to
   * {@code drain}, then deletes them.
   *
   * @return true when there was one
   */
  public boolean drain(long fromWindowStart, long toWindowStart, Drain drain) {
    List<Bytes> scanned = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> entries =
        store.range(
            ContributionStore.windowPrefix(fromWindowStart),
            ContributionStore.windowPrefix(toWindowStart))) {
      while (entries.hasNext()) {
        KeyValue<Bytes, byte[]> entry = entries.next();
        ContributionStore.StoredKey key = ContributionStore.decodeKey(entry.key);
        if (key.isSampledMarker()) {
          drain.sampled(key.batch());
        } else {
          handOver(key, entry, drain);
        }
        scanned.add(entry.key);
      }
    } finally {
      scanKey = null;
      scanBatch = null;
      block.clear();
    }
    // Tombstones only once the scan is over: written during it, they can evict blocks that are
    // still only in the record cache into RocksDB behind the open iterator, which then never
    // sees them (found by BatchBlockStoreTest: 9 of 200 blocks with a 16 KB cache).
    // put(key, null), not delete(key): delete reads the old value back first (a read per block,
    // never used); both write the same tombstone.
    for (Bytes key : scanned) {
      store.put(key, null);
    }
    return !scanned.isEmpty();
  }

  /** One block's contributions, decoded whole first, so {@link #sampledAhead} can see them all. */
  private void handOver(
      ContributionStore.StoredKey key, KeyValue<Bytes, byte[]> entry, Drain drain) {
    block.clear();
    try {
      ContributionStore.decodeValue(key, entry.value, block::add);
    } catch (UncheckedIOException | IllegalStateException | IllegalArgumentException e) {
      drain.unreadableBlock(key.batch(), entry.value.length, e);
      return;
    }
    scanKey = entry.key;
    scanBatch = key.batch();
    scanBlockSampled = false;
    for (Contribution contribution : block) {
      scanBlockSampled |= contribution.spanContext().isSampled();
    }
    for (Contribution contribution : block) {
      drain.contribution(key.batch(), contribution);
    }
  }

  /**
   * While a {@link #drain} hands over {@code batch}: whether a contribution of it not handed over
   * yet arrived sampled (read from the store, as far as the first one that did). False once the
   * drain has moved past the batch: everything of it has been handed over.
   */
  public boolean sampledAhead(BatchWindow batch) {
    if (scanKey == null || !batch.equals(scanBatch)) {
      return false;
    }
    if (scanBlockSampled) {
      return true;
    }
    try (KeyValueIterator<Bytes, byte[]> rest =
        store.range(scanKey, ContributionStore.key(batch, AFTER_EVERY_SUFFIX))) {
      while (rest.hasNext()) {
        KeyValue<Bytes, byte[]> entry = rest.next();
        if (entry.key.equals(scanKey)) {
          continue;
        }
        if (anySampled(ContributionStore.decodeKey(entry.key), entry.value)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean anySampled(ContributionStore.StoredKey key, byte[] value) {
    if (key.isSampledMarker()) {
      return true;
    }
    boolean[] sampled = {false};
    try {
      ContributionStore.decodeValue(
          key, value, contribution -> sampled[0] |= contribution.spanContext().isSampled());
    } catch (UncheckedIOException | IllegalStateException | IllegalArgumentException e) {
      // unreadable: the drain counts it when its scan gets there
    }
    return sampled[0];
  }

  private static byte[] filled(int length, byte value) {
    byte[] bytes = new byte[length];
    Arrays.fill(bytes, value);
    return bytes;
  }
}
