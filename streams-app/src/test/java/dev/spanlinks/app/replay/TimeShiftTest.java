package dev.spanlinks.app.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A shift moves what the topology windows on, record timestamps and createdAt alike. */
class TimeShiftTest {
  private static final Instant RECORD_TIME = Instant.parse("2026-03-01T12:00:00.500Z");

  private static RecordLine record(String value, Instant timestamp) {
    return new RecordLine(
        "orders",
        0,
        0L,
        timestamp.toEpochMilli(),
        "eu".getBytes(StandardCharsets.UTF_8),
        value == null ? null : value.getBytes(StandardCharsets.UTF_8),
        List.of());
  }

  private static String text(RecordLine record) {
    return new String(record.value(), StandardCharsets.UTF_8);
  }

  @Test
  void shouldShiftCreatedAtAndTimestampKeepingTheRestOfTheValue() {
    RecordLine order =
        record(
            "{\"orderId\":\"o-1\", \"nested\":{\"createdAt\":\"2026-03-01T10:00:00Z\"},"
                + "\"createdAt\":\"2026-03-01T10:15:30.250Z\",\"amount\":12.50}",
            RECORD_TIME);

    RecordLine shifted = new TimeShift(Duration.ofDays(30).toMillis()).apply(order);

    assertThat(text(shifted))
        .isEqualTo(
            "{\"orderId\":\"o-1\", \"nested\":{\"createdAt\":\"2026-03-01T10:00:00Z\"},"
                + "\"createdAt\":\"2026-03-31T10:15:30.250Z\",\"amount\":12.50}");
    assertThat(shifted.timestampMs())
        .isEqualTo(RECORD_TIME.plus(Duration.ofDays(30)).toEpochMilli());
    assertThat(shifted.key()).isEqualTo(order.key());
  }

  @Test
  void shouldUseCreatedAtAsEventTimeLikeTheTopology() {
    assertThat(
            TimeShift.eventTimeMs(record("{\"createdAt\":\"2026-03-01T10:00:00Z\"}", RECORD_TIME)))
        .isEqualTo(Instant.parse("2026-03-01T10:00:00Z").toEpochMilli());
    // No createdAt, an invalid one, a later non-string one, or no JSON: the record timestamp.
    for (String value :
        new String[] {
          "{\"orderId\":\"o\"}",
          "{\"createdAt\":\"soon\"}",
          "{\"createdAt\":\"2026-03-01T10:00:00Z\",\"createdAt\":5}",
          "not json",
          null
        }) {
      assertThat(TimeShift.eventTimeMs(record(value, RECORD_TIME)))
          .as(value)
          .isEqualTo(RECORD_TIME.toEpochMilli());
    }
  }

  @Test
  void shouldMoveTheEarliestEventTimeToTheTargetAndKeepGaps() {
    RecordLine early = record("{\"createdAt\":\"2026-03-01T10:00:00Z\"}", RECORD_TIME);
    RecordLine late = record("{\"createdAt\":\"2026-03-01T11:30:00Z\"}", RECORD_TIME);
    RecordLine untimed = record("{\"orderId\":\"o\"}", Instant.parse("2026-03-01T10:45:00Z"));
    Instant target = Instant.parse("2030-01-01T00:00:00Z");

    TimeShift shift =
        TimeShift.moving(
            Math.min(TimeShift.eventTimeMs(early), TimeShift.eventTimeMs(late)), target);

    assertThat(TimeShift.eventTimeMs(shift.apply(early))).isEqualTo(target.toEpochMilli());
    assertThat(TimeShift.eventTimeMs(shift.apply(late)))
        .isEqualTo(target.plus(Duration.ofMinutes(90)).toEpochMilli());
    assertThat(TimeShift.eventTimeMs(shift.apply(untimed)))
        .isEqualTo(target.plus(Duration.ofMinutes(45)).toEpochMilli());
    assertThat(text(shift.apply(late))).isEqualTo("{\"createdAt\":\"2030-01-01T01:30:00Z\"}");
  }

  @Test
  void shouldLeaveValuesWithoutAValidCreatedAtUntouched() {
    for (String value : new String[] {"{\"createdAt\":\"soon\"}", "{broken", "plain"}) {
      RecordLine shifted = new TimeShift(1000).apply(record(value, RECORD_TIME));
      assertThat(text(shifted)).isEqualTo(value);
      assertThat(shifted.timestampMs()).isEqualTo(RECORD_TIME.toEpochMilli() + 1000);
    }
    assertThat(new TimeShift(1000).apply(record(null, RECORD_TIME)).value()).isNull();
  }
}
