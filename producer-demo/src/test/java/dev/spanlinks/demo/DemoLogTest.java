package dev.spanlinks.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lines as slf4j-simple writes them with streams-app's {@code simplelogger.properties}. */
class DemoLogTest {
  private static final String DEAD_LETTER =
      "2026-01-15T10:00:00.123+0000 WARN DeadLetterHandler - Dead-lettering invalid order."
          + " topic=[orders] partition=[0] offset=[7] reason=[orderId is missing]";
  private static final String LATE =
      "2026-01-15T10:00:00.123+0000 WARN CloseWindowsProcessor - Routing late order."
          + " topic=[orders] partition=[1] offset=[9] closedThrough=[2026-01-15T10:00:00Z]";
  private static final String BROKER_WARNING =
      "2026-01-15T10:00:00.123+0000 WARN NetworkClient - [Producer clientId=demo] Error while"
          + " fetching metadata";
  private static final String STATE_IN_TEMP =
      "2026-01-15T10:00:00.123+0000 WARN StateDirectory - Using an OS temp directory in the"
          + " state.dir property can cause failures";
  private static final String RETRIED =
      "2026-01-15T10:00:00.123+0000 WARN Sender - [Producer clientId=demo] Got error produce"
          + " response with correlation id 43 on topic-partition orders-dlq-2, retrying"
          + " (2147483646 attempts left). Error: CONCURRENT_TRANSACTIONS";
  private static final String RUNNING =
      "2026-01-15T10:00:00.123+0000 INFO StreamsRunner - spanlinks running.";
  private static final String UNEXPECTED_ERROR =
      "2026-01-15T10:00:00.123+0000 ERROR DeadLetterHandler - Unexpected error on a record;"
          + " dead-lettered it and stopping.";

  @TempDir Path dir;

  @Test
  void shouldKeepTheWarningsTheDemoCausesOnPurposeOffTheConsole() {
    assertThat(DemoLog.toConsole(DEAD_LETTER, true)).isFalse();
    assertThat(DemoLog.toConsole(LATE, true)).isFalse();
    assertThat(DemoLog.toConsole(STATE_IN_TEMP, true)).isFalse();
    assertThat(DemoLog.toConsole(RETRIED, true)).isFalse();
    assertThat(DemoLog.toConsole(RUNNING, true)).as("the demo prints its own progress").isFalse();
    assertThat(
            DemoLog.toConsole(
                DEAD_LETTER.replace(
                    " DeadLetterHandler ", " dev.spanlinks.streams.DeadLetterHandler "),
                true))
        .as("with org.slf4j.simpleLogger.showShortLogName=false")
        .isFalse();
    assertThat(DemoLog.toConsole(BROKER_WARNING, false)).isTrue();
    assertThat(DemoLog.toConsole(UNEXPECTED_ERROR, false))
        .as("an error of the same logger is no per-record warning")
        .isTrue();
  }

  @Test
  void shouldSendContinuationLinesWhereTheirRecordWent() {
    assertThat(DemoLog.toConsole("\tat dev.spanlinks.streams.Foo.bar(Foo.java:1)", false))
        .isFalse();
    assertThat(DemoLog.toConsole("\tat dev.spanlinks.streams.Foo.bar(Foo.java:1)", true)).isTrue();
  }

  @Test
  void shouldWriteEveryLineToTheFileAndTheRestToTheConsole() throws Exception {
    PrintStream original = System.err;
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    System.setErr(new PrintStream(console, true, StandardCharsets.UTF_8));
    Path file = dir.resolve("logs").resolve("demo.log");
    try (DemoLog log = DemoLog.install(file)) {
      assertThat(log.path()).isEqualTo(file.toAbsolutePath());
      System.err.println(DEAD_LETTER);
      System.err.println(BROKER_WARNING);
      assertThat(
              log.quietly(
                  () -> {
                    System.err.println(BROKER_WARNING.replace("NetworkClient", "QuorumController"));
                    return "started";
                  }))
          .isEqualTo("started");
      // Written in pieces, as a PrintStream may pass them on.
      System.err.print(LATE.substring(0, 20));
      System.err.print(LATE.substring(20) + "\n" + UNEXPECTED_ERROR.substring(0, 40));
      System.err.println(UNEXPECTED_ERROR.substring(40));
      System.err.println("\tat dev.spanlinks.streams.Foo.bar(Foo.java:1)");
    } finally {
      System.setErr(original);
    }

    assertThat(Files.readAllLines(file))
        .containsExactly(
            DEAD_LETTER,
            BROKER_WARNING,
            BROKER_WARNING.replace("NetworkClient", "QuorumController"),
            LATE,
            UNEXPECTED_ERROR,
            "\tat dev.spanlinks.streams.Foo.bar(Foo.java:1)");
    assertThat(console.toString(StandardCharsets.UTF_8).lines())
        .containsExactly(
            BROKER_WARNING, UNEXPECTED_ERROR, "\tat dev.spanlinks.streams.Foo.bar(Foo.java:1)");
  }
}
