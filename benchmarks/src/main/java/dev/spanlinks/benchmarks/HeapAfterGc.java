package dev.spanlinks.benchmarks;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * The heap a run held: the heap in use after each garbage collection, at its highest during the
 * run, above what the idle JVM (broker, receiver client, harness) held after a full collection just
 * before it. An upper bound of the run's live data: objects promoted and dead since count until a
 * collection of the old generation frees them. The JVM is shared with the broker, so only the
 * difference between variants run the same way is the application's.
 */
final class HeapAfterGc {
  private static final AtomicLong peakAfterGc = new AtomicLong();
  private static boolean listening;

  private final long idleBytes;

  private HeapAfterGc(long idleBytes) {
    this.idleBytes = idleBytes;
  }

  /** A full collection, then the heap in use: the idle JVM; from here the peak is tracked. */
  static synchronized HeapAfterGc beforeStart() {
    if (!listening) {
      for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        ((NotificationEmitter) gc)
            .addNotificationListener(
                (notification, handback) -> {
                  if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
                      notification.getType())) {
                    long used =
                        GarbageCollectionNotificationInfo.from(
                                (CompositeData) notification.getUserData())
                            .getGcInfo()
                            .getMemoryUsageAfterGc()
                            .values()
                            .stream()
                            .mapToLong(MemoryUsage::getUsed)
                            .sum();
                    peakAfterGc.accumulateAndGet(used, Math::max);
                  }
                },
                null,
                null);
      }
      listening = true;
    }
    System.gc();
    long idle = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    peakAfterGc.set(0);
    return new HeapAfterGc(idle);
  }

  /** The peak above the idle JVM, in bytes; -1 when no collection ran during the run. */
  long peakAboveIdleBytes() {
    long peak = peakAfterGc.get();
    return peak == 0 ? -1 : Math.max(0, peak - idleBytes);
  }
}
