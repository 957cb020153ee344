package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** The write limits: UTF-8 lengths and the check before anything is written. */
class WriteLimitsTest {
  private static final WriteLimits DEFAULTS =
      new WriteLimits(1024, BatchConfig.DEFAULT_RECORD_MAX_BYTES, 3_600_000, Long.MAX_VALUE);

  @Test
  void shouldCountUtf8LikeTheEncoder() {
    Random random = new Random(22);
    for (int i = 0; i < 10_000; i++) {
      StringBuilder text = new StringBuilder();
      for (int c = random.nextInt(20); c > 0; c--) {
        text.append((char) random.nextInt(Character.MAX_VALUE + 1)); // lone surrogates included
      }
      String sample = text.toString();
      assertThat(WriteLimits.utf8Length(sample))
          .as("%s", sample.chars().boxed().toList())
          .isEqualTo(sample.getBytes(StandardCharsets.UTF_8).length);
    }
  }

  @Test
  void shouldRefuseWhatWouldNotFitAndTakeWhatWould() {
    long now = 1_800_000_000_000L;
    RecordHeaders none = new RecordHeaders();
    DEFAULTS.admit("k".repeat(1024), now + 3_600_000, none, now);
    assertThatThrownBy(() -> DEFAULTS.admit("k".repeat(1025), now, none, now))
        .isInstanceOf(RejectedRecordException.class)
        .hasMessageContaining("1025 bytes");
    assertThatThrownBy(() -> DEFAULTS.admit("\u00e9".repeat(513), now, none, now))
        .hasMessageContaining("1026 bytes");
    assertThatThrownBy(() -> DEFAULTS.admit("k", now + 3_600_001, none, now))
        .hasMessage("event time is more than 3600000 ms ahead of the clock");
    WriteLimits week = new WriteLimits(1024, 1 << 20, 3_600_000, 7 * 86_400_000L);
    week.admit("k", now - 7 * 86_400_000L, none, now);
    assertThatThrownBy(() -> week.admit("k", now - 7 * 86_400_000L - 1, none, now))
        .hasMessageContaining("behind the clock");
    RecordHeaders heavy = new RecordHeaders();
    heavy.add("x-blob", new byte[(1 << 20) - 7_000]);
    DEFAULTS.admit("k", now, heavy, now); // the copies still fit
    heavy.add("x-more", new byte[1_000]);
    assertThatThrownBy(() -> DEFAULTS.admit("k", now, heavy, now))
        .hasMessageStartingWith("the record's headers take");
  }
}
