package dev.spanlinks.streams.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spanlinks.streams.state.ContributionStore.BatchWindow;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The compact block format (3): whatever a contribution holds comes back equal (the model of the
 * format is the identity), earlier formats are still read, and an order with a UUID id and a span
 * context takes at most 64 bytes.
 */
class CompactEntriesTest {
  private static final long SEED = 20261130L;
  private static final SpanContext LINKED =
      SpanContext.createFromRemoteParent(
          "4bf92f3577b34da6a3ce929d0e0e4736",
          "00f067aa0ba902b7",
          TraceFlags.getSampled(),
          TraceState.getDefault());

  @Test
  void shouldGiveBackEveryGeneratedContributionEqualInArrivalOrder() {
    Random random = new Random(SEED);
    for (int block = 0; block < 2_000; block++) {
      long windowStart = random.nextBoolean() ? 0 : random.nextLong() / 2;
      List<Contribution> written = new ArrayList<>();
      byte[] value = null;
      for (int n = 1 + random.nextInt(12); n > 0; n--) {
        Contribution contribution = randomContribution(random, windowStart);
        written.add(contribution);
        byte[] entry = ContributionStore.encodeEntry(contribution, windowStart);
        value =
            value == null
                ? ContributionStore.newBlock(entry)
                : ContributionStore.append(value, entry);
      }
      List<Contribution> read = new ArrayList<>();
      ContributionStore.decodeValue(
          ContributionStore.decodeKey(
              ContributionStore.blockKey(new BatchWindow(windowStart, "k"), block)),
          value,
          read::add);
      assertThat(read).as("block %d (seed %d)", block, SEED).isEqualTo(written);
    }
  }

  @Test
  void shouldTakeAtMost64BytesForAUuidOrderWithASpanContext() {
    Contribution order =
        new Contribution(
            UUID.randomUUID().toString(),
            1_800_000L,
            11,
            123_456_789L,
            new BigDecimal("1234.56"),
            "EUR",
            LINKED,
            0);
    assertThat(ContributionStore.encodeEntry(order, 0L).length).isLessThanOrEqualTo(64);
  }

  @Test
  void shouldKeepAnIdThatOnlyLooksLikeAUuidAsItsText() {
    String upper = UUID.randomUUID().toString().toUpperCase(java.util.Locale.ROOT);
    assertThat(CompactEntries.isCanonicalUuid(upper)).isFalse();
    assertThat(CompactEntries.isCanonicalUuid(upper.toLowerCase(java.util.Locale.ROOT))).isTrue();
    assertThat(roundTrip(contribution(upper, BigDecimal.ONE)).orderId()).isEqualTo(upper);
  }

  @Test
  void shouldStillReadBlocksOfFormatTwo() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(2);
      for (int n = 0; n < 2; n++) {
        out.writeUTF("o-" + n);
        out.writeLong(3_600_000L + n);
        out.writeInt(2);
        out.writeLong(40L + n);
        out.writeUTF("12.50");
        out.writeUTF("EUR");
        out.writeBoolean(n == 0);
        if (n == 0) {
          out.write(LINKED.getTraceIdBytes());
          out.write(LINKED.getSpanIdBytes());
          out.writeByte(1);
          out.writeUTF("rojo=00f067aa0ba902b7");
        }
      }
    }
    List<Contribution> read = new ArrayList<>();
    ContributionStore.decodeValue(
        ContributionStore.decodeKey(
            ContributionStore.blockKey(new BatchWindow(3_600_000L, "eu"), 7)),
        bytes.toByteArray(),
        read::add);

    assertThat(read).extracting(Contribution::orderId).containsExactly("o-0", "o-1");
    assertThat(read.get(0).spanContext().getTraceState().get("rojo")).isEqualTo("00f067aa0ba902b7");
    assertThat(read.get(0).amount()).isEqualTo(new BigDecimal("12.50"));
    assertThat(read.get(1).linked()).isFalse();
    assertThat(read.get(1).offset()).isEqualTo(41L);
    assertThat(read.get(1).eventTimeMs()).isEqualTo(3_600_001L);
  }

  @Test
  void shouldRefuseATruncatedBlockRatherThanInventAnOrder() {
    byte[] entry = ContributionStore.encodeEntry(contribution("o-1", BigDecimal.TEN), 0L);
    byte[] block = ContributionStore.newBlock(entry);
    byte[] truncated = Arrays.copyOf(block, block.length - 3);
    assertThatThrownBy(
            () ->
                ContributionStore.decodeValue(
                    ContributionStore.decodeKey(
                        ContributionStore.blockKey(new BatchWindow(0L, "eu"), 1)),
                    truncated,
                    order -> {}))
        .isInstanceOf(IllegalStateException.class);
  }

  private static Contribution roundTrip(Contribution contribution) {
    List<Contribution> read = new ArrayList<>();
    ContributionStore.decodeValue(
        ContributionStore.decodeKey(ContributionStore.blockKey(new BatchWindow(0L, "eu"), 1)),
        ContributionStore.newBlock(ContributionStore.encodeEntry(contribution, 0L)),
        read::add);
    assertThat(read).hasSize(1);
    return read.get(0);
  }

  private static Contribution contribution(String id, BigDecimal amount) {
    return new Contribution(id, 1L, 0, 1L, amount, "EUR", LINKED, 0);
  }

  private static Contribution randomContribution(Random random, long windowStart) {
    return new Contribution(
        randomId(random),
        windowStart + (random.nextBoolean() ? random.nextInt(3_600_000) : random.nextLong() / 4),
        random.nextInt(4) == 0 ? random.nextInt() : random.nextInt(64),
        random.nextInt(4) == 0 ? random.nextLong() : random.nextInt(1 << 30),
        randomAmount(random),
        random.nextInt(5) == 0 ? randomText(random, 6) : "EUR",
        random.nextInt(4) == 0 ? SpanContext.getInvalid() : randomContext(random),
        0,
        random.nextInt(3) == 0 ? randomAttributes(random) : Attributes.empty());
  }

  private static String randomId(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> new UUID(random.nextLong(), random.nextLong()).toString();
      case 1 -> "order-" + random.nextInt(1_000_000);
      case 2 -> randomText(random, 40);
      default ->
          new UUID(random.nextLong(), random.nextLong())
              .toString()
              .toUpperCase(java.util.Locale.ROOT);
    };
  }

  private static BigDecimal randomAmount(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> BigDecimal.valueOf(random.nextInt(1_000_000), random.nextInt(4));
      case 1 -> new BigDecimal(new BigInteger(80, random), random.nextInt(10)); // past a long
      case 2 -> BigDecimal.valueOf(random.nextLong(), random.nextInt(20) - 10);
      default -> BigDecimal.ZERO;
    };
  }

  private static SpanContext randomContext(Random random) {
    TraceState state =
        random.nextBoolean()
            ? TraceState.getDefault()
            : TraceState.builder()
                .put("vendor" + random.nextInt(9), "v" + random.nextInt())
                .build();
    return SpanContext.createFromRemoteParent(
        TraceId.fromLongs(random.nextLong() | 1, random.nextLong()),
        SpanId.fromLong(random.nextLong() | 1),
        TraceFlags.fromByte((byte) random.nextInt(256)),
        state);
  }

  private static Attributes randomAttributes(Random random) {
    AttributesBuilder builder = Attributes.builder();
    for (int n = 1 + random.nextInt(5); n > 0; n--) {
      String key = "k" + n + randomText(random, 5);
      switch (random.nextInt(4)) {
        case 0 -> builder.put(AttributeKey.stringKey(key), randomText(random, 30));
        case 1 -> builder.put(AttributeKey.booleanKey(key), random.nextBoolean());
        case 2 -> builder.put(AttributeKey.longKey(key), random.nextLong());
        default -> builder.put(AttributeKey.doubleKey(key), random.nextDouble() * 1e6);
      }
    }
    return builder.build();
  }

  /**
   * Any characters: ASCII, accents, CJK, astral-plane pairs, and unpaired surrogates (a Java string
   * may hold one; UTF-8 cannot).
   */
  private static String randomText(Random random, int maxLength) {
    StringBuilder text = new StringBuilder();
    for (int n = random.nextInt(maxLength + 1); n > 0; n--) {
      switch (random.nextInt(5)) {
        case 4 -> text.append((char) (0xD800 + random.nextInt(0x800)));
        case 0 -> text.append((char) (' ' + random.nextInt(95)));
        case 1 -> text.append((char) (0xC0 + random.nextInt(0x100)));
        case 2 -> text.append((char) (0x4E00 + random.nextInt(0x5000)));
        default -> text.appendCodePoint(0x1F300 + random.nextInt(0x300));
      }
    }
    return text.toString();
  }
}
