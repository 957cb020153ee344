package dev.spanlinks.app;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code streams-app.jar}. Without a subcommand it runs {@code run}.
 *
 * <p>Exit codes: 0 after a clean stop, 1 when the application failed, 2 for a usage or
 * configuration error. Errors a user can fix print as one line, not as a stack trace.
 */
@Command(
    name = "spanlinks-streams",
    mixinStandardHelpOptions = true,
    versionProvider = StreamsMain.Version.class,
    description = "Batches orders per hour and links every order's span to the batch span.",
    subcommands = {
      RunCommand.class,
      ReportCommand.class,
      ExportCommand.class,
      ImportCommand.class,
      ReplayCommand.class
    })
public final class StreamsMain {
  private static final Set<String> TOP_LEVEL_OPTIONS = Set.of("-h", "--help", "-V", "--version");

  public static void main(String[] args) {
    ExportFailureLog.install();
    System.exit(
        execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the command line as {@code main} does, without exiting; returns the exit code. */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    String[] effective = args;
    if (args.length == 0 || (args[0].startsWith("-") && !TOP_LEVEL_OPTIONS.contains(args[0]))) {
      effective = new String[args.length + 1];
      effective[0] = "run";
      System.arraycopy(args, 0, effective, 1, args.length);
    }
    CommandLine commandLine = new CommandLine(new StreamsMain());
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setExecutionExceptionHandler(
        (exception, cmd, parseResult) -> {
          if (exception instanceof StartupException
              || exception instanceof org.apache.kafka.common.config.ConfigException
              || exception
                  instanceof io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException) {
            cmd.getErr().println("spanlinks: " + exception.getMessage());
            return exception instanceof StartupException ? 1 : 2;
          }
          throw exception;
        });
    return commandLine.execute(Arrays.copyOf(effective, effective.length));
  }

  /** The version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = StreamsMain.class.getPackage().getImplementationVersion();
      return new String[] {"spanlinks " + (version == null ? "(development build)" : version)};
    }
  }
}
