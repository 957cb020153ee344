package dev.spanlinks.streams.state;

import dev.spanlinks.streams.state.ContributionStore.BatchWindow;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;

/**
 * The block each batch is filling on this task. An order appends its entry and the whole block is
 * put again; the store's record cache keeps only the latest value until the commit, so the
 * changelog gets one record per block per commit instead of one per order, and a window's close
 * reads and deletes blocks, not orders.
 *
 * <p>Only this task's memory knows which block is filling: after a restart or a rebalance, the next
 * order of a batch starts a new block and the old one stays as it is. Block ids come from a
 * sequence kept in the task's state, so a new block never overwrites a stored one, whatever the
 * input offsets (a re-created topic starts again at 0). With at-least-once, an order reprocessed
 * after a crash may land in a second block; the close counts it as a duplicate.
 *
 * <p>Forgetting an open block is always safe (the batch just starts a new one), so memory is
 * bounded: past {@value #MAX_OPEN_BLOCKS} batches open at once on a task, the least recently
 * written batch forgets its block (about 1 MB per thousand open batches at most).
 */
public final class OpenBlocks {
  private record Block(Bytes key, byte[] value) {}

  static final int MAX_OPEN_BLOCKS = 4096;

  @SuppressWarnings("serial") // never serialised
  private final Map<BatchWindow, Block> filling =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<BatchWindow, Block> eldest) {
          return size() > MAX_OPEN_BLOCKS;
        }
      };

  private final LongSupplier newBlockId;

  /**
   * @param newBlockId the id of the next block, never one given before on this task
   */
  public OpenBlocks(LongSupplier newBlockId) {
    this.newBlockId = newBlockId;
  }

  /**
   * Adds an order's entry to its batch's block, starting a new block when there is none or the
   * entry does not fit.
   *
   * @return the block's key and its new value, to put in the store
   */
  public KeyValue<Bytes, byte[]> append(BatchWindow batch, byte[] entry) {
    Block block = filling.get(batch);
    Block grown =
        block == null || ContributionStore.isFull(block.key(), block.value(), entry)
            ? new Block(
                ContributionStore.blockKey(batch, newBlockId.getAsLong()),
                ContributionStore.newBlock(entry))
            : new Block(block.key(), ContributionStore.append(block.value(), entry));
    filling.put(batch, grown);
    return KeyValue.pair(grown.key(), grown.value());
  }

  /** Forgets the blocks of windows starting before {@code boundary}: they have been closed. */
  public void forgetWindowsBefore(long boundary) {
    filling.keySet().removeIf(batch -> batch.windowStartMs() < boundary);
  }
}
