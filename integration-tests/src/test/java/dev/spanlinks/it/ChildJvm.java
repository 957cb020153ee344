package dev.spanlinks.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A jar of this build run as a child JVM, exactly as a user runs it ({@code java -jar}), or a main
 * class of the tests' own class path; with its output in a log file. The child's environment drops
 * the parent's {@code OTEL_*} variables.
 */
final class ChildJvm implements AutoCloseable {
  private final Process process;
  private final Path log;

  private ChildJvm(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  static ChildJvm start(Path jar, List<String> args, Map<String, String> env, Path log)
      throws IOException {
    return start(List.of(), jar, args, env, log);
  }

  /** As {@link #start(Path, List, Map, Path)}, with JVM options such as {@code -javaagent:}. */
  static ChildJvm start(
      List<String> jvmOptions, Path jar, List<String> args, Map<String, String> env, Path log)
      throws IOException {
    return start(null, jvmOptions, jar, args, env, log);
  }

  /** As {@link #start(Path, List, Map, Path)}, in {@code workingDirectory}, as a user's shell. */
  static ChildJvm startIn(
      Path workingDirectory, Path jar, List<String> args, Map<String, String> env, Path log)
      throws IOException {
    return start(workingDirectory, List.of(), jar, args, env, log);
  }

  /**
   * Runs {@code mainClass} from this JVM's class path (the tests' classes and dependencies): for
   * test infrastructure that must be a process of its own, such as a broker a test kills.
   */
  static ChildJvm startMain(
      List<String> jvmOptions,
      Class<?> mainClass,
      List<String> args,
      Map<String, String> env,
      Path log)
      throws IOException {
    List<String> target =
        List.of("-cp", System.getProperty("java.class.path"), mainClass.getName());
    return launch(null, jvmOptions, target, args, env, log);
  }

  private static ChildJvm start(
      Path workingDirectory,
      List<String> jvmOptions,
      Path jar,
      List<String> args,
      Map<String, String> env,
      Path log)
      throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: run the tests through Maven (verify)");
    }
    List<String> target = List.of("-jar", jar.toAbsolutePath().toString());
    return launch(workingDirectory, jvmOptions, target, args, env, log);
  }

  private static ChildJvm launch(
      Path workingDirectory,
      List<String> jvmOptions,
      List<String> target,
      List<String> args,
      Map<String, String> env,
      Path log)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.addAll(jvmOptions);
    command.addAll(target);
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.redirectOutput(log.toAbsolutePath().toFile());
    if (workingDirectory != null) {
      builder.directory(workingDirectory.toFile());
    }
    builder.environment().keySet().removeIf(key -> key.startsWith("OTEL_"));
    builder.environment().putAll(env);
    return new ChildJvm(builder.start(), log);
  }

  String output() throws IOException {
    return Files.readString(log);
  }

  /** Waits for the process to end on its own; returns its exit code. */
  int awaitExit(long seconds) throws Exception {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      throw new AssertionError("Still running after " + seconds + " s:\n" + output());
    }
    return process.exitValue();
  }

  /** Sends SIGTERM, as a container runtime would, and returns the exit code. */
  int terminate(long seconds) throws Exception {
    process.destroy();
    return awaitExit(seconds);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Sends SIGKILL: the process dies at once, no shutdown hook, no clean close. */
  int kill() throws Exception {
    process.destroyForcibly();
    return awaitExit(30);
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
