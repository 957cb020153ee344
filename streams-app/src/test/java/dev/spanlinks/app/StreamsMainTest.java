package dev.spanlinks.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/** The command line: exit codes, and errors a user can act on as one line, no stack trace. */
class StreamsMainTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return StreamsMain.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void shouldPrintVersionAndHelp() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString()).startsWith("spanlinks ");
    assertThat(run("run", "--help")).isZero();
    assertThat(out.toString()).contains("--bootstrap-servers", "--config", "--application-id");
    assertThat(out.toString()).contains("--health-port", "--health-address");
  }

  @Test
  void shouldRefuseAHealthPortOutOfRangeInOneLine() {
    assertThat(run("--bootstrap-servers", "127.0.0.1:1", "--health-port", "65536")).isEqualTo(2);
    assertThat(err.toString().strip())
        .isEqualTo("spanlinks: --health-port must be 0 to 65535, not 65536");
  }

  @Test
  void shouldRejectUnknownOptionAsUsageError() {
    assertThat(run("--no-such-option")).isEqualTo(2);
    assertThat(err.toString()).contains("Unknown option: '--no-such-option'");
  }

  // Why it may be skipped: the test asserts the message for "no cluster given". Where
  // KAFKA_BOOTSTRAP_SERVERS is set (a CI with its own broker), a cluster *is* given, so the
  // premise cannot hold; everywhere else, including .ci/run, it runs.
  @Test
  @DisabledIfEnvironmentVariable(
      named = "KAFKA_BOOTSTRAP_SERVERS",
      matches = ".+",
      disabledReason = "the variable supplies the cluster this test expects to be missing")
  void shouldSayWhenNoClusterIsGiven() {
    assertThat(run()).isEqualTo(1);
    assertThat(err.toString().strip())
        .isEqualTo(
            "spanlinks: No Kafka cluster given: use --bootstrap-servers, KAFKA_BOOTSTRAP_SERVERS,"
                + " or bootstrap.servers in --config");
  }

  @Test
  void shouldReportBadConfigValueInOneLine() throws Exception {
    Path config =
        Files.writeString(dir.resolve("bad.properties"), "spanlinks.window.size.ms=soon\n");
    assertThat(run("--config", config.toString(), "--bootstrap-servers", "127.0.0.1:1"))
        .isEqualTo(2);
    assertThat(err.toString().lines()).hasSize(1);
    assertThat(err.toString()).contains("spanlinks.window.size.ms").doesNotContain("\tat ");
  }

  @Test
  void shouldRefuseAMisspeltSpanlinksKeyInOneLine() throws Exception {
    Path config =
        Files.writeString(dir.resolve("misspelt.properties"), "spanlinks.idle.close=60000\n");
    assertThat(run("--config", config.toString(), "--bootstrap-servers", "127.0.0.1:1"))
        .isEqualTo(2);
    assertThat(err.toString().strip())
        .startsWith(
            "spanlinks: Unknown setting spanlinks.idle.close (did you mean"
                + " spanlinks.idle.close.ms?)")
        .doesNotContain("\tat ");
  }

  @Test
  void shouldRefuseASpanQueueTheStreamThreadsCanOverfillInOneLine() throws Exception {
    Path config = Files.writeString(dir.resolve("threads.properties"), "num.stream.threads=5\n");
    System.setProperty("otel.bsp.max.queue.size", "2048");
    try {
      assertThat(run("--config", config.toString(), "--bootstrap-servers", "127.0.0.1:1"))
          .isEqualTo(2);
    } finally {
      System.clearProperty("otel.bsp.max.queue.size");
    }
    assertThat(err.toString().lines()).hasSize(1);
    assertThat(err.toString())
        .startsWith("spanlinks: OTEL_BSP_MAX_QUEUE_SIZE (otel.bsp.max.queue.size) is 2048")
        .contains("5 stream threads");
  }

  @Test
  void shouldRefuseAnUnresolvedConfigVariableWithoutPrintingTheValue() throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("sasl.properties"),
            String.join(
                "\n",
                "config.providers=env",
                "config.providers.env.class="
                    + "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
                "security.protocol=SASL_PLAINTEXT",
                "sasl.mechanism=SCRAM-SHA-512",
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required"
                    + " username=\"user-not-a-secret\""
                    + " password=\"${env:SPANLINKS_TEST_VARIABLE_NEVER_SET}\";",
                ""));
    assertThat(run("--config", config.toString(), "--bootstrap-servers", "127.0.0.1:1"))
        .isEqualTo(2);
    assertThat(err.toString().lines()).hasSize(1);
    assertThat(err.toString())
        .startsWith(
            "spanlinks: sasl.jaas.config refers to ${env:SPANLINKS_TEST_VARIABLE_NEVER_SET}")
        .doesNotContain("user-not-a-secret", "ScramLoginModule");
  }

  @Test
  void shouldRefuseAVariableOutsideTheEnvProvidersAllowlist() throws Exception {
    // PATH is set in every environment; the allowlist hides it from the provider all the same.
    Path config =
        Files.writeString(
            dir.resolve("allowlist.properties"),
            String.join(
                "\n",
                "config.providers=env",
                "config.providers.env.class="
                    + "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
                "config.providers.env.param.allowlist.pattern=SPANLINKS_.*",
                "sasl.jaas.config=x required password=\"${env:PATH}\";",
                ""));
    assertThat(run("--config", config.toString(), "--bootstrap-servers", "127.0.0.1:1"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("refers to ${env:PATH}", "allowlist.pattern");
  }

  @Test
  void shouldReportMissingConfigFile() {
    assertThat(run("--config", dir.resolve("missing.properties").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("Config file not found");
  }

  @Test
  void shouldExplainBadReportArguments() throws Exception {
    assertThat(run("report", "--spans", dir.resolve("none.jsonl").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("Spans file not found");
    Path spans = Files.writeString(dir.resolve("spans.jsonl"), "");
    assertThat(run("report", "--spans", spans.toString(), "--trace-url", "http://x/trace"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--trace-url must contain {traceId}");
  }

  @Test
  void shouldWriteAnEmptyLinkMapForAnEmptySpansFile() throws Exception {
    Path spans = Files.writeString(dir.resolve("spans.jsonl"), "");
    assertThat(run("report", "--spans", spans.toString(), "--out", dir.resolve("out").toString()))
        .isZero();
    assertThat(out.toString()).contains("link map: ");
    assertThat(Files.readString(dir.resolve("out").resolve("spanlinks-link-map.html")))
        .contains("\"batches\":[]");
  }

  @Test
  void shouldReportUnreachableClusterInOneLine() {
    assertThat(run("--bootstrap-servers", "127.0.0.1:1", "--startup-timeout", "PT1S")).isEqualTo(1);
    assertThat(err.toString().strip())
        .isEqualTo("spanlinks: Cannot reach Kafka at 127.0.0.1:1 within 1 s");
  }
}
