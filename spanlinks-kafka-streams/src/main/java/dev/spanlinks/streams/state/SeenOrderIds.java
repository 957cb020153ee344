package dev.spanlinks.streams.state;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The order ids a closing batch has seen, so an order delivered twice counts once. Held as 128-bit
 * fingerprints in one open-addressing table kept at most half full, 32 bytes an order, where a set
 * of strings would take about 120. A fingerprint is two XXH64 hashes of the id's UTF-16 code units,
 * with seeds drawn at random per process: two distinct ids share one with a probability of about
 * n²/2¹²⁹, and ids picked to collide would need the seeds. (SHA-256 fingerprints took 8% of the
 * stream thread's samples end to end, these take 2%.)
 *
 * <p>The heap it takes is bounded by configuration, not by the largest batch: the table never grows
 * past {@code maxTableBytes} (1.5 times that while it doubles). A batch with more distinct orders
 * than a full table holds spills: the table's fingerprints, sorted, are merged into one sorted file
 * in the temporary directory, memory-mapped (the page cache holds it, not the heap), and every
 * later id is looked up in the table, then by binary search in the file. A ten-million-order batch
 * spills about 160 MB to disk and closes under a heap that a million-order table would fill. The
 * file is deleted on {@link #close()}.
 */
public final class SeenOrderIds implements AutoCloseable {
  private static final int INITIAL_SLOTS = 16;
  private static final int BYTES_PER_SLOT = 16;

  /** Fingerprints per mapped segment of the spill file: 2 GiB, the most one mapping can hold. */
  private static final int SEGMENT_SHIFT = 27;

  private static final XXHash64 XXH64 = XXHashFactory.fastestJavaInstance().hash64();
  private static final long SEED_HIGH;
  private static final long SEED_LOW;

  static {
    SecureRandom random = new SecureRandom();
    SEED_HIGH = random.nextLong();
    SEED_LOW = random.nextLong();
  }

  private final int maxSlots;

  /** Two longs per slot; both zero marks an empty slot. */
  private long[] slots = new long[2 * INITIAL_SLOTS];

  private int size;
  private Path spillFile;
  private final List<LongBuffer> spilled = new ArrayList<>();
  private long spilledCount;

  /**
   * @param maxTableBytes the most the in-memory table may take; at least 16 slots
   */
  public SeenOrderIds(long maxTableBytes) {
    this.maxSlots =
        Integer.highestOneBit(
            (int) Math.max(INITIAL_SLOTS, Math.min(1 << 30, maxTableBytes / BYTES_PER_SLOT)));
  }

  /** Adds the id; false when it was already there. */
  public boolean add(String orderId) {
    byte[] id = utf16(orderId);
    long high = XXH64.hash(id, 0, id.length, SEED_HIGH);
    long low = XXH64.hash(id, 0, id.length, SEED_LOW);
    if (high == 0 && low == 0) {
      low = 1; // keep "both zero" for empty slots
    }
    if (spilledCount > 0 && isSpilled(high, low)) {
      return false;
    }
    if (!insert(slots, high, low)) {
      return false;
    }
    size++;
    if (2 * size > slotCount(slots)) {
      if (slotCount(slots) < maxSlots) {
        grow();
      } else {
        spill();
      }
    }
    return true;
  }

  /** Distinct ids added so far. */
  long size() {
    return spilledCount + size;
  }

  /** Bytes of the in-memory table now. */
  long tableBytes() {
    return (long) slots.length * Long.BYTES;
  }

  /** The spill file, while there is one. */
  Optional<Path> spillFile() {
    return Optional.ofNullable(spillFile);
  }

  /** Fingerprints in the spill file. */
  long spilledCount() {
    return spilledCount;
  }

  /**
   * The id's UTF-16 code units, two bytes each: lossless. UTF-8 would map every unpaired surrogate
   * (JSON lets a producer write one, as {@code \ud800}) to the same '?', and two distinct orders
   * would count as one.
   */
  private static byte[] utf16(String orderId) {
    byte[] bytes = new byte[2 * orderId.length()];
    for (int i = 0; i < orderId.length(); i++) {
      char c = orderId.charAt(i);
      bytes[2 * i] = (byte) (c >>> 8);
      bytes[2 * i + 1] = (byte) c;
    }
    return bytes;
  }

  private static int slotCount(long[] table) {
    return table.length / 2;
  }

  private static boolean insert(long[] table, long high, long low) {
    int mask = slotCount(table) - 1;
    int slot = (int) (high ^ (high >>> 32)) & mask;
    while (table[2 * slot] != 0 || table[2 * slot + 1] != 0) {
      if (table[2 * slot] == high && table[2 * slot + 1] == low) {
        return false;
      }
      slot = (slot + 1) & mask;
    }
    table[2 * slot] = high;
    table[2 * slot + 1] = low;
    return true;
  }

  private void grow() {
    long[] larger = new long[2 * slots.length];
    for (int i = 0; i < slots.length; i += 2) {
      if (slots[i] != 0 || slots[i + 1] != 0) {
        insert(larger, slots[i], slots[i + 1]);
      }
    }
    slots = larger;
  }

  // ---- the spill file: fingerprints sorted by (high, low), signed, 16 bytes each ----

  /** Merges the table's fingerprints into the spill file and empties the table. */
  private void spill() {
    int count = compactToFront(slots);
    sortPairs(slots, 0, count - 1);
    try {
      Path merged = Files.createTempFile("spanlinks-seen-order-ids-", ".bin");
      try (DataOutputStream out =
          new DataOutputStream(
              new BufferedOutputStream(
                  Files.newOutputStream(merged, StandardOpenOption.WRITE), 1 << 16))) {
        long i = 0;
        int j = 0;
        while (i < spilledCount || j < count) {
          boolean fromFile =
              j == count
                  || (i < spilledCount
                      && compare(spilledHigh(i), spilledLow(i), slots[2 * j], slots[2 * j + 1])
                          < 0);
          if (fromFile) {
            out.writeLong(spilledHigh(i));
            out.writeLong(spilledLow(i));
            i++;
          } else {
            out.writeLong(slots[2 * j]);
            out.writeLong(slots[2 * j + 1]);
            j++;
          }
        }
      }
      deleteSpillFile();
      spillFile = merged;
      spilledCount += count;
      map(merged);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not spill seen order ids to a temporary file", e);
    }
    Arrays.fill(slots, 0L);
    size = 0;
  }

  private void map(Path file) throws IOException {
    spilled.clear();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long bytes = spilledCount * BYTES_PER_SLOT;
      long segmentBytes = (long) BYTES_PER_SLOT << SEGMENT_SHIFT;
      for (long start = 0; start < bytes; start += segmentBytes) {
        ByteBuffer mapped =
            channel.map(
                FileChannel.MapMode.READ_ONLY, start, Math.min(segmentBytes, bytes - start));
        spilled.add(mapped.asLongBuffer());
      }
    }
  }

  private long spilledHigh(long index) {
    return spilled.get((int) (index >>> SEGMENT_SHIFT)).get(segmentOffset(index));
  }

  private long spilledLow(long index) {
    return spilled.get((int) (index >>> SEGMENT_SHIFT)).get(segmentOffset(index) + 1);
  }

  private static int segmentOffset(long index) {
    return (int) (index & ((1L << SEGMENT_SHIFT) - 1)) * 2;
  }

  private boolean isSpilled(long high, long low) {
    long from = 0;
    long to = spilledCount - 1;
    while (from <= to) {
      long middle = (from + to) >>> 1;
      int order = compare(spilledHigh(middle), spilledLow(middle), high, low);
      if (order == 0) {
        return true;
      } else if (order < 0) {
        from = middle + 1;
      } else {
        to = middle - 1;
      }
    }
    return false;
  }

  private static int compare(long highA, long lowA, long highB, long lowB) {
    int order = Long.compare(highA, highB);
    return order != 0 ? order : Long.compare(lowA, lowB);
  }

  /** Moves the occupied slots to the front; returns how many there are. */
  private static int compactToFront(long[] table) {
    int count = 0;
    for (int i = 0; i < table.length; i += 2) {
      if (table[i] != 0 || table[i + 1] != 0) {
        table[2 * count] = table[i];
        table[2 * count + 1] = table[i + 1];
        count++;
      }
    }
    for (int i = 2 * count; i < table.length; i++) {
      table[i] = 0;
    }
    return count;
  }

  /**
   * Sorts pairs {@code from..to} (inclusive) of {@code pairs} by (high, low). Quicksort on the
   * middle element: fingerprints are hashes, so no input orders them against it.
   */
  private static void sortPairs(long[] pairs, int from, int to) {
    while (from < to) {
      int middle = (from + to) >>> 1;
      long pivotHigh = pairs[2 * middle];
      long pivotLow = pairs[2 * middle + 1];
      int i = from;
      int j = to;
      while (i <= j) {
        while (compare(pairs[2 * i], pairs[2 * i + 1], pivotHigh, pivotLow) < 0) {
          i++;
        }
        while (compare(pairs[2 * j], pairs[2 * j + 1], pivotHigh, pivotLow) > 0) {
          j--;
        }
        if (i <= j) {
          swap(pairs, i++, j--);
        }
      }
      // Recurse into the smaller side, loop on the larger: the stack stays logarithmic.
      if (j - from < to - i) {
        sortPairs(pairs, from, j);
        from = i;
      } else {
        sortPairs(pairs, i, to);
        to = j;
      }
    }
  }

  private static void swap(long[] pairs, int a, int b) {
    long high = pairs[2 * a];
    long low = pairs[2 * a + 1];
    pairs[2 * a] = pairs[2 * b];
    pairs[2 * a + 1] = pairs[2 * b + 1];
    pairs[2 * b] = high;
    pairs[2 * b + 1] = low;
  }

  private void deleteSpillFile() throws IOException {
    spilled.clear();
    if (spillFile != null) {
      Files.deleteIfExists(spillFile);
      spillFile = null;
    }
  }

  /** Deletes the spill file, if there is one. */
  @Override
  public void close() {
    Path file = spillFile;
    try {
      deleteSpillFile();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not delete " + file, e);
    }
  }
}
