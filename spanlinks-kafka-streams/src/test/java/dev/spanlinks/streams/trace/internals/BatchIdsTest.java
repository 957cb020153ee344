package dev.spanlinks.streams.trace.internals;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceId;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

class BatchIdsTest {
  private static final long JAN_15_2026_10H = Instant.parse("2026-01-15T10:00:00Z").toEpochMilli();

  /**
   * One golden vector: the inputs and the exact ids derived from them.
   *
   * @param spanIds the span ids of chunks 0 (the batch span), 1 and 2
   */
  private record Golden(
      String namespace,
      String batchKey,
      long windowStartMs,
      int partition,
      String traceId,
      List<String> spanIds) {}

  /*
   * GOLDEN VECTORS: DO NOT EDIT TO MAKE A TEST PASS. Computed once from BatchIds as of commit fa2798f and
   * frozen here. The ids of a batch are how a window re-emitted after a crash, a replay or an
   * upgrade lands on the very same spans (backends deduplicate by id) and how anyone finds a
   * batch's trace from the batch itself. Any change to these values (digest, encoding, byte order,
   * field order, the chunk index convention) gives every user new ids for old windows: re-emission
   * dedup breaks across the upgrade for every user. Such a change needs a new derivation version
   * next to this one and a migration note in the README, never an edit of these strings.
   */
  private static final List<Golden> GOLDEN =
      List.of(
          // The topology tests' application id, a key and a 2026 hour on partition 0.
          new Golden(
              "spanlinks-test",
              "eu",
              JAN_15_2026_10H,
              0,
              "043179a21c1ff4a10a71c3261d871ee2",
              List.of("45371a1b5400d996", "bd9f7962c4011209", "3e703ec1d6f3e875")),
          // Window start 0 (the epoch).
          new Golden(
              "app",
              "eu",
              0L,
              0,
              "165f79edeb19165ec130429d79a841cf",
              List.of("46e6c86a177ec5f2", "357c5223e89aae2c", "31a7747401878e11")),
          new Golden(
              "app",
              "eu",
              JAN_15_2026_10H,
              0,
              "b481c0309c0bca7588bbb5d329d37432",
              List.of("8bbcc3d3ccf75d6a", "0de6d38ab955ea66", "7f6d3b930266518f")),
          // The highest partition there can be.
          new Golden(
              "app",
              "eu",
              JAN_15_2026_10H,
              Integer.MAX_VALUE,
              "d1fcf380059ae25a8fee37ad0e45c5a2",
              List.of("c2cede90e3b46945", "e213e46612d3898d", "908722957da365df")),
          new Golden(
              "orders-app",
              "store-7",
              JAN_15_2026_10H,
              11,
              "7a3d9bef782174d64b86d4af30e9121a",
              List.of("291159c1ab9d6f81", "d5f4194fcfdd25b3", "042a3a8f0e6f5a57")),
          // Non-ASCII keys are UTF-8: two-byte, three-byte and four-byte (a surrogate pair).
          new Golden(
              "app",
              "z\u00fcrich",
              JAN_15_2026_10H,
              0,
              "ec82506b43da6c84434b0439ce2e9db4",
              List.of("32ae313eec5f56bd", "3f686ad9552bf2b8", "877e9964ff4fa211")),
          new Golden(
              "app",
              "\u6771\u4eac",
              JAN_15_2026_10H,
              0,
              "bfff3821fb4dc1dd744e7378d02d46e0",
              List.of("7c867535ca54b90f", "fd80815d11d3d282", "23c9f2cf38ed133b")),
          new Golden(
              "app",
              "\ud83d\uded2",
              JAN_15_2026_10H,
              0,
              "787808331fa9e696b92e3faa7f20c09a",
              List.of("d1ad90ca90ef2a4f", "dd32ad83d54386e4", "625107fba7365e25")),
          // The empty key: the orders app dead-letters it, but BatchIds accepts it.
          new Golden(
              "app",
              "",
              JAN_15_2026_10H,
              0,
              "d7994cb7f123b872c3208b29ecfa254a",
              List.of("0bc3cee7c8133afd", "54b6763564d3f910", "e6bef6179f2cd651")));

  @Test
  void shouldDeriveExactlyTheGoldenIds() {
    SoftAssertions softly = new SoftAssertions();
    for (Golden golden : GOLDEN) {
      BatchIds ids =
          new BatchIds(
              golden.namespace(), golden.batchKey(), golden.windowStartMs(), golden.partition());
      softly.assertThat(ids.traceId()).as("trace id of %s", golden).isEqualTo(golden.traceId());
      softly
          .assertThat(List.of(ids.spanId(0), ids.spanId(1), ids.spanId(2)))
          .as("span ids of chunks 0, 1, 2 of %s", golden)
          .isEqualTo(golden.spanIds());
    }
    softly.assertAll();
  }

  @Test
  void shouldDeriveExactlyTheGoldenChunkTraceIds() {
    // Frozen like GOLDEN above: chunk traces 1, 2 and MAX_CHUNK_TRACES of one batch.
    BatchIds ids = new BatchIds("app", "eu", JAN_15_2026_10H, 0);
    assertThat(
            List.of(
                ids.chunkTraceId(1),
                ids.chunkTraceId(2),
                ids.chunkTraceId(BatchSpans.MAX_CHUNK_TRACES)))
        .containsExactly(
            "08fc25c4d9a8d3919e89523b7bb6ceed",
            "57d004fd46459f9244875d31f5b89b38",
            "a468eb5fea2519a33a4b4cc1149955f3");
  }

  @Test
  void shouldDeriveValidStableIds() {
    BatchIds ids = new BatchIds("app", "eu", 1_768_471_200_000L, 0);
    assertThat(TraceId.isValid(ids.traceId())).isTrue();
    assertThat(SpanId.isValid(ids.spanId(0))).isTrue();
    assertThat(new BatchIds("app", "eu", 1_768_471_200_000L, 0).traceId()).isEqualTo(ids.traceId());
  }

  @Test
  void shouldGiveDifferentIdsToEveryInputThatDiffers() {
    Set<String> traceIds = new HashSet<>();
    traceIds.add(new BatchIds("app", "eu", 0L, 0).traceId());
    traceIds.add(new BatchIds("app2", "eu", 0L, 0).traceId());
    traceIds.add(new BatchIds("app", "eu2", 0L, 0).traceId());
    traceIds.add(new BatchIds("app", "eu", 3_600_000L, 0).traceId());
    // Concatenation must not collide: ("ab", "c") vs ("a", "bc").
    traceIds.add(new BatchIds("ab", "c", 0L, 0).traceId());
    traceIds.add(new BatchIds("a", "bc", 0L, 0).traceId());
    // One key's orders on two partitions (another partitioner, added partitions): two batches.
    traceIds.add(new BatchIds("app", "eu", 0L, 1).traceId());
    assertThat(traceIds).hasSize(7);

    BatchIds ids = new BatchIds("app", "eu", 0L, 0);
    assertThat(Set.of(ids.spanId(0), ids.spanId(1), ids.spanId(2))).hasSize(3);
  }
}
