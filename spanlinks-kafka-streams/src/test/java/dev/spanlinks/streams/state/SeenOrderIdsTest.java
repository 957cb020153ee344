package dev.spanlinks.streams.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SeenOrderIdsTest {

  @Test
  void shouldAcceptEachIdOnceThroughManyGrowths() {
    SeenOrderIds seen = new SeenOrderIds();
    for (int i = 0; i < 100_000; i++) {
      assertThat(seen.add("order-" + i)).isTrue();
    }
    for (int i = 0; i < 100_000; i += 7) {
      assertThat(seen.add("order-" + i)).as("order-%d again", i).isFalse();
    }
    assertThat(seen.add("order-100000")).isTrue();
    assertThat(seen.size()).isEqualTo(100_001);
  }

  @Test
  void shouldTellIdsApartThatDifferOnlyInCaseOrEncoding() {
    SeenOrderIds seen = new SeenOrderIds();
    assertThat(seen.add("o-é")).isTrue();
    assertThat(seen.add("o-e\u0301")).isTrue();
    assertThat(seen.add("O-é")).isTrue();
    assertThat(seen.add("")).isTrue();
    assertThat(seen.add("")).isFalse();
    // Unpaired surrogates (JSON can carry them as escapes): UTF-8 would make both "o-?".
    assertThat(seen.add("o-\ud800")).isTrue();
    assertThat(seen.add("o-\udbff")).isTrue();
    assertThat(seen.add("o-\ud800")).isFalse();
  }
}
