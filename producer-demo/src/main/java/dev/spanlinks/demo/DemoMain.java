package dev.spanlinks.demo;

import dev.spanlinks.app.ExportFailureLog;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code producer-demo.jar}: {@code produce} (traced orders to a cluster) and {@code
 * demo} (the whole pipeline in one command, on an embedded broker unless told otherwise).
 */
@Command(
    name = "producer-demo",
    mixinStandardHelpOptions = true,
    versionProvider = DemoMain.Version.class,
    description = "Produces traced orders, or runs the whole spanlinks demo in one command.",
    subcommands = {ProduceCommand.class, DemoCommand.class})
public final class DemoMain {

  public static void main(String[] args) {
    ExportFailureLog.install();
    System.exit(
        execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the command line as {@code main} does, without exiting; returns the exit code. */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine commandLine = new CommandLine(new DemoMain());
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setExecutionExceptionHandler(
        (exception, cmd, parseResult) -> {
          if (exception instanceof dev.spanlinks.app.StartupException
              || exception instanceof org.apache.kafka.common.config.ConfigException
              || exception
                  instanceof io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException) {
            cmd.getErr().println("producer-demo: " + exception.getMessage());
            return 1;
          }
          throw exception;
        });
    return commandLine.execute(args);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = DemoMain.class.getPackage().getImplementationVersion();
      return new String[] {"spanlinks " + (version == null ? "(development build)" : version)};
    }
  }
}
