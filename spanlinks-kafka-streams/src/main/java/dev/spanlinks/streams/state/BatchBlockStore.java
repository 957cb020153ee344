package dev.spanlinks.streams.state;

import dev.spanlinks.streams.state.ContributionStore.BatchWindow;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The contributions store as the close step uses it, in batches and contributions rather than
 * bytes: it owns the key layout ({@link ContributionStore}, as Kafka's {@code WindowKeySchema} owns
 * a window store's), the blocks being filled ({@link OpenBlocks}), the sampled markers, and the
 * rule that a close scans its windows first and writes their tombstones only after the scan.
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

    /** {@code batch} holds a contribution whose span context was sampled. */
    void sampled(BatchWindow batch);

    /**
     * A block of {@code batch} that cannot be read (written by a version with a bug, say): it is
     * deleted with the rest, since a close that failed on it would fail again on every restart.
     */
    void unreadableBlock(BatchWindow batch, int bytes, RuntimeException reason);
  }

  /** Most batches whose sampled marker is remembered as written: a few hundred kilobytes. */
  public static final int MAX_SAMPLED_MARKERS = 4096;

  private final KeyValueStore<Bytes, byte[]> store;
  private final OpenBlocks openBlocks;

  /**
   * Batches whose sampled marker this task has written, so the marker is put once per batch, not
   * once per sampled contribution. Bounded: a batch forgotten here only has its marker put again.
   */
  @SuppressWarnings("serial") // never serialised
  private final Set<Bytes> sampledMarkers =
      Collections.newSetFromMap(
          new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Bytes, Boolean> eldest) {
              return size() > MAX_SAMPLED_MARKERS;
            }
          });

  /**
   * @param newBlockId the id of the next block, never one given before on this task
   */
  public BatchBlockStore(KeyValueStore<Bytes, byte[]> store, LongSupplier newBlockId) {
    this.store = store;
    this.openBlocks = new OpenBlocks(newBlockId);
  }

  /** Adds one contribution to its batch: to the block the batch is filling, or a new one. */
  public void add(BatchWindow batch, Contribution contribution) {
    KeyValue<Bytes, byte[]> block =
        openBlocks.append(
            batch, ContributionStore.encodeEntry(contribution, batch.windowStartMs()));
    store.put(block.key, block.value);
    if (contribution.spanContext().isSampled()) {
      markSampled(batch);
    }
  }

  /** Once per batch (and again after a restart, harmlessly): the batch has a sampled order. */
  private void markSampled(BatchWindow batch) {
    Bytes marker = ContributionStore.sampledMarkerKey(batch);
    if (sampledMarkers.add(marker)) {
      store.put(marker, ContributionStore.MARKER_VALUE);
    }
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
          sampledMarkers.remove(entry.key);
        } else {
          try {
            ContributionStore.decodeValue(
                key, entry.value, contribution -> drain.contribution(key.batch(), contribution));
          } catch (UncheckedIOException | IllegalStateException | IllegalArgumentException e) {
            drain.unreadableBlock(key.batch(), entry.value.length, e);
          }
        }
        scanned.add(entry.key);
      }
    }
    // Tombstones only once the scan is over: written during it, they can evict blocks that are
    // still only in the record cache into RocksDB behind the open iterator, which then never
    // sees them (found by ContributionCacheScanTest: 9 of 200 blocks with a 16 KB cache).
    // put(key, null), not delete(key): delete reads the old value back first (a read per block,
    // never used); both write the same tombstone.
    for (Bytes key : scanned) {
      store.put(key, null);
    }
    return !scanned.isEmpty();
  }
}
