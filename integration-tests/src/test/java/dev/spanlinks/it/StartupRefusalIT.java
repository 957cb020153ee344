package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What would go wrong later is refused at start-up (issue 26): {@code streams-app.jar run} as a
 * child JVM, as users start it, exits with 2 and one line that names the cause, before it tries to
 * reach Kafka (the bootstrap server here listens to nothing, so a refusal that came late would say
 * so instead).
 */
class StartupRefusalIT {

  /**
   * One refusal: the config file's lines, the child's {@code OTEL_*} variables and JVM options, and
   * what the one line must say.
   */
  record Refusal(
      String name,
      List<String> config,
      Map<String, String> env,
      List<String> jvmOptions,
      String says) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> refusals() {
    return Stream.of(
            new Refusal(
                "a misspelt spanlinks key",
                List.of("spanlinks.dead.letter.topic=x"),
                Map.of(),
                List.of(),
                "Unknown setting spanlinks.dead.letter.topic (did you mean"
                    + " errors.dead.letter.queue.topic.name?)"),
            new Refusal(
                "a misspelt key, with the nearest known one",
                List.of("spanlinks.idle.close=60000"),
                Map.of(),
                List.of(),
                "Unknown setting spanlinks.idle.close (did you mean spanlinks.idle.close.ms?)"),
            new Refusal(
                "an unknown input format",
                List.of("spanlinks.input.format=xml"),
                Map.of(),
                List.of(),
                "spanlinks.input.format"),
            new Refusal(
                "a span queue two stream threads can overfill (variable)",
                List.of("num.stream.threads=2"),
                Map.of("OTEL_BSP_MAX_QUEUE_SIZE", "1000"),
                List.of(),
                "OTEL_BSP_MAX_QUEUE_SIZE (otel.bsp.max.queue.size) is 1000"),
            new Refusal(
                "a span queue two stream threads can overfill (system property)",
                List.of("num.stream.threads=2"),
                Map.of(),
                List.of("-Dotel.bsp.max.queue.size=1000"),
                "OTEL_BSP_MAX_QUEUE_SIZE (otel.bsp.max.queue.size) is 1000"),
            new Refusal(
                "a link limit below links.per.span + 1024",
                List.of(),
                Map.of("OTEL_SPAN_LINK_COUNT_LIMIT", "128"),
                List.of(),
                "OTEL_SPAN_LINK_COUNT_LIMIT"))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusals")
  void shouldRefuseAtStartWithOneLineAndExitCodeTwo(Refusal refusal, @TempDir Path dir)
      throws Exception {
    List<String> lines = new ArrayList<>(List.of("application.id=refusal", "state.dir=" + dir));
    lines.addAll(refusal.config());
    Path config = Files.write(dir.resolve("spanlinks.properties"), lines);
    Path log =
        ItSupport.logs()
            .resolve("refusal-" + refusal.name().replaceAll("[^a-z0-9]+", "-") + ".log");
    String nowhere = "127.0.0.1:" + ItSupport.freePort();
    try (ChildJvm app =
        ChildJvm.start(
            refusal.jvmOptions(),
            ItSupport.STREAMS_JAR,
            List.of("run", "--config", config.toString(), "--bootstrap-servers", nowhere),
            refusal.env(),
            log)) {
      assertThat(app.awaitExit(60)).as(app.output()).isEqualTo(2);
      String output = app.output();
      List<String> said = output.lines().filter(line -> line.startsWith("spanlinks: ")).toList();
      assertThat(said).as(output).hasSize(1);
      assertThat(said.get(0)).contains(refusal.says());
      assertThat(output)
          .as("refused before reaching for Kafka, with no stack trace")
          .doesNotContain("Cannot reach Kafka", "\tat ");
    }
  }
}
