package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BatchWindowsTest {
  private final BatchWindows hourly = new BatchWindows(3_600_000L, 300_000L);

  @Test
  void shouldAlignWindowsToTheEpoch() {
    assertThat(hourly.startOf(3_600_000L)).isEqualTo(3_600_000L);
    assertThat(hourly.startOf(7_199_999L)).isEqualTo(3_600_000L);
    assertThat(hourly.startOf(-1L)).isEqualTo(-3_600_000L);
  }

  @Test
  void shouldCloseWindowOnlyOnceCloseTimeReachesEndPlusGrace() {
    long end = 7_200_000L;
    assertThat(hourly.isClosed(3_600_000L, hourly.closedThrough(end + 299_999L))).isFalse();
    assertThat(hourly.isClosed(3_600_000L, hourly.closedThrough(end + 300_000L))).isTrue();
    assertThat(hourly.isClosed(end, hourly.closedThrough(end + 300_000L))).isFalse();
  }

  @Test
  void shouldCloseNothingBeforeAnyTimeIsKnown() {
    assertThat(hourly.closedThrough(Long.MIN_VALUE)).isEqualTo(BatchWindows.NOTHING_CLOSED);
    assertThat(hourly.isClosed(Long.MIN_VALUE + 1, BatchWindows.NOTHING_CLOSED)).isFalse();
  }
}
