package dev.spanlinks.app.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every byte sequence survives a trip through a replay file; bad lines are named by number. */
class RecordLineCodecTest {
  private static final long TIME = Instant.parse("2026-03-01T10:15:30.123Z").toEpochMilli();
  private static final String ORDER =
      "{\"orderId\":\"o-1\",\"amount\":12.50,\"currency\":\"EUR\","
          + "\"createdAt\":\"2026-03-01T10:15:30Z\"}";

  @TempDir Path dir;

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static RecordLine roundTrip(RecordLine record) {
    return RecordLineCodec.decode(RecordLineCodec.encode(record));
  }

  private static void assertSameRecord(RecordLine actual, RecordLine expected) {
    assertThat(actual.topic()).isEqualTo(expected.topic());
    assertThat(actual.partition()).isEqualTo(expected.partition());
    assertThat(actual.offset()).isEqualTo(expected.offset());
    assertThat(actual.timestampMs()).isEqualTo(expected.timestampMs());
    assertThat(actual.key()).isEqualTo(expected.key());
    assertThat(actual.value()).isEqualTo(expected.value());
    assertThat(actual.headers()).hasSameSizeAs(expected.headers());
    for (int i = 0; i < expected.headers().size(); i++) {
      assertThat(actual.headers().get(i).key()).isEqualTo(expected.headers().get(i).key());
      assertThat(actual.headers().get(i).value()).isEqualTo(expected.headers().get(i).value());
    }
  }

  @Test
  void shouldEmbedAnOrderAsReadableJson() {
    String traceparent = "00-" + "ab".repeat(16) + "-" + "cd".repeat(8) + "-01";
    RecordLine order =
        new RecordLine(
            "orders",
            2,
            41L,
            TIME,
            utf8("eu"),
            utf8(ORDER),
            List.of(new RecordLine.Header("traceparent", utf8(traceparent))));

    String line = RecordLineCodec.encode(order);

    assertThat(line)
        .isEqualTo(
            "{\"topic\":\"orders\",\"partition\":2,\"offset\":41,"
                + "\"timestamp\":\"2026-03-01T10:15:30.123Z\",\"key\":\"eu\","
                + "\"headers\":[{\"key\":\"traceparent\",\"value\":\""
                + traceparent
                + "\"}],\"valueEncoding\":\"json\",\"value\":"
                + ORDER
                + "}");
    assertSameRecord(roundTrip(order), order);
  }

  @Test
  void shouldKeepJsonThatWouldNotWriteBackIdenticallyAsText() {
    for (String value :
        List.of(
            "{ \"orderId\": \"o-1\" }", // whitespace
            "{\"a\":1,\"a\":2}", // duplicate names
            "{\"a\":1e5}", // number form
            "{\"a\":\"\\/\"}", // escaped slash
            "[1,2] trailing",
            "\"just a string\"",
            "42")) {
      RecordLine record = new RecordLine(null, null, null, TIME, null, utf8(value), List.of());
      String line = RecordLineCodec.encode(record);
      assertThat(line).as(value).doesNotContain("\"valueEncoding\"");
      assertSameRecord(roundTrip(record), record);
    }
  }

  @Test
  void shouldRoundTripArbitraryBytesAsBase64() {
    Random random = new Random(42);
    for (int i = 0; i < 500; i++) {
      byte[] key = new byte[random.nextInt(20)];
      byte[] value = new byte[random.nextInt(200)];
      byte[] header = new byte[random.nextInt(30)];
      random.nextBytes(key);
      random.nextBytes(value);
      random.nextBytes(header);
      RecordLine record =
          new RecordLine(
              "t", 0, (long) i, TIME, key, value, List.of(new RecordLine.Header("h", header)));
      assertSameRecord(roundTrip(record), record);
    }
    byte[] invalidUtf8 = {(byte) 0xc3, (byte) 0x28, 0, (byte) 0xff};
    RecordLine record =
        new RecordLine(
            null,
            null,
            null,
            TIME,
            invalidUtf8,
            invalidUtf8,
            List.of(new RecordLine.Header("h", invalidUtf8)));
    assertThat(RecordLineCodec.encode(record))
        .contains("\"keyEncoding\":\"base64\"", "\"valueEncoding\":\"base64\"")
        .contains("\"encoding\":\"base64\"");
    assertSameRecord(roundTrip(record), record);
  }

  @Test
  void shouldKeepTextWithControlCharactersAndNonAsciiAsText() {
    byte[] text = utf8("zürich\u0000\n\t\"quoted\" \uD83D\uDE00");
    RecordLine record = new RecordLine(null, null, null, TIME, text, text, List.of());
    assertThat(RecordLineCodec.encode(record)).doesNotContain("Encoding");
    assertSameRecord(roundTrip(record), record);
  }

  @Test
  void shouldKeepNullsEmptiesAndDuplicateHeaderKeysInOrder() {
    List<RecordLine.Header> headers = new ArrayList<>();
    headers.add(new RecordLine.Header("dup", utf8("first")));
    headers.add(new RecordLine.Header("none", null));
    headers.add(new RecordLine.Header("dup", utf8("second")));
    headers.add(new RecordLine.Header("empty", new byte[0]));
    headers.add(new RecordLine.Header("", utf8("empty key")));
    RecordLine record = new RecordLine(null, null, null, -1L, null, null, headers);

    RecordLine decoded = roundTrip(record);

    assertSameRecord(decoded, record);
    assertThat(decoded.key()).isNull();
    assertThat(decoded.value()).isNull();
    assertThat(decoded.headers().get(1).value()).isNull();
    assertThat(decoded.headers().get(3).value()).isEmpty();
    RecordLine emptyValue =
        new RecordLine(null, null, null, TIME, new byte[0], new byte[0], headers);
    assertSameRecord(roundTrip(emptyValue), emptyValue);
  }

  @Test
  void shouldAcceptEpochMillisAndLeaveOutOptionalFields() {
    RecordLine record = RecordLineCodec.decode("{\"timestamp\":1000,\"value\":\"v\"}");
    assertThat(record.timestampMs()).isEqualTo(1000);
    assertThat(record.partition()).isNull();
    assertThat(record.key()).isNull();
    assertThat(record.headers()).isEmpty();
    assertThat(record.value()).isEqualTo(utf8("v"));
  }

  @Test
  void shouldNameTheReasonForABadLine() {
    assertThatThrownBy(() -> RecordLineCodec.decode("{\"timestamp\":1"))
        .hasMessageStartingWith("not valid JSON");
    assertThatThrownBy(() -> RecordLineCodec.decode("[]")).hasMessage("not a JSON object");
    assertThatThrownBy(() -> RecordLineCodec.decode("{\"timestamp\":1}"))
        .hasMessageContaining("\"value\" is missing");
    assertThatThrownBy(() -> RecordLineCodec.decode("{\"value\":null}"))
        .hasMessage("\"timestamp\" is missing");
    assertThatThrownBy(() -> RecordLineCodec.decode("{\"timestamp\":\"yesterday\",\"value\":null}"))
        .hasMessageContaining("ISO-8601");
    assertThatThrownBy(
            () ->
                RecordLineCodec.decode(
                    "{\"timestamp\":1,\"valueEncoding\":\"base64\",\"value\":\"%%\"}"))
        .hasMessage("value is not valid base64");
    assertThatThrownBy(
            () ->
                RecordLineCodec.decode(
                    "{\"timestamp\":1,\"valueEncoding\":\"rot13\",\"value\":\"x\"}"))
        .hasMessageContaining("valueEncoding must be text, json or base64");
    assertThatThrownBy(
            () ->
                RecordLineCodec.decode(
                    "{\"timestamp\":1,\"headers\":[{\"value\":\"x\"}],\"value\":null}"))
        .hasMessage("headers[0].key must be a string");
  }

  @Test
  void shouldReportTheLineNumberOfAMalformedLine() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("orders.jsonl"),
            "{\"timestamp\":1,\"value\":\"a\"}\n\n{\"timestamp\":2,\"value\":\"b\"}\nnot json\n");
    List<RecordLine> read = new ArrayList<>();

    assertThatThrownBy(() -> RecordFile.forEach(file, read::add))
        .isInstanceOf(MalformedLineException.class)
        .hasMessageStartingWith(file + " line 4: not valid JSON");
    assertThat(read).hasSize(2);
    assertThat(RecordFile.count(file)).isEqualTo(3);
  }

  @Test
  void shouldWriteAndReadAFile() throws Exception {
    Path file = dir.resolve("out.jsonl");
    RecordLine first = new RecordLine("t", 0, 0L, TIME, utf8("k"), utf8(ORDER), List.of());
    RecordLine second = new RecordLine("t", 1, 0L, TIME + 1, null, new byte[] {-1}, List.of());
    try (RecordFile.Writer writer = RecordFile.create(file)) {
      writer.write(first);
      writer.write(second);
    }
    List<RecordLine> read = new ArrayList<>();
    RecordFile.forEach(file, read::add);
    assertThat(read).hasSize(2);
    assertSameRecord(read.get(0), first);
    assertSameRecord(read.get(1), second);
  }
}
