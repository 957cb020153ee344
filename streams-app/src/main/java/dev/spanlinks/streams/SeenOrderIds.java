package dev.spanlinks.streams;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The order ids a closing batch has seen, so an order delivered twice counts once. Held as 128-bit
 * fingerprints (the first half of the id's SHA-256) in one open-addressing table: 16 bytes per id,
 * 32 MB at most for a million orders, where a set of strings would take about 120 MB. Two distinct
 * ids share a fingerprint with a probability of about n²/2¹²⁹, nothing a window will meet.
 */
final class SeenOrderIds {
  private static final int INITIAL_SLOTS = 16;

  private final MessageDigest sha256;

  /** Two longs per slot; both zero marks an empty slot. */
  private long[] slots = new long[2 * INITIAL_SLOTS];

  private int size;

  SeenOrderIds() {
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("Every Java runtime has SHA-256", e);
    }
  }

  /** Adds the id; false when it was already there. */
  boolean add(String orderId) {
    ByteBuffer digest = ByteBuffer.wrap(sha256.digest(orderId.getBytes(StandardCharsets.UTF_8)));
    long high = digest.getLong();
    long low = digest.getLong();
    if (high == 0 && low == 0) {
      low = 1; // keep "both zero" for empty slots
    }
    if (!insert(slots, high, low)) {
      return false;
    }
    size++;
    if (2 * size > slotCount(slots)) {
      grow();
    }
    return true;
  }

  int size() {
    return size;
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
}
