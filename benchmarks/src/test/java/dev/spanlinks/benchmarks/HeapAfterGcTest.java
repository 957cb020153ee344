package dev.spanlinks.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeapAfterGcTest {
  @Test
  void shouldReportWhatARunHeldThroughACollection() {
    HeapAfterGc heap = HeapAfterGc.beforeStart();
    List<byte[]> held = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      held.add(new byte[1 << 20]);
    }
    System.gc(); // the notification comes on another thread, soon after

    long deadline = System.nanoTime() + 5_000_000_000L;
    while (heap.peakAboveIdleBytes() < 60L << 20 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(heap.peakAboveIdleBytes()).isGreaterThanOrEqualTo(60L << 20);
    assertThat(held).hasSize(64);
  }
}
