package dev.spanlinks.app;

import org.apache.kafka.common.errors.AuthenticationException;

/**
 * A reason the application cannot start or keep running that the user can act on. Its message is
 * printed as one line, without a stack trace.
 */
public final class StartupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StartupException(String message) {
    super(message);
  }

  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * A rejected login. Kafka's own message says which mechanism failed and never holds the
   * credentials; the cause is kept for a debugger but not printed.
   */
  public static StartupException authenticationFailed(
      Object bootstrapServers, AuthenticationException e) {
    return new StartupException(
        "Cannot connect to Kafka at "
            + bootstrapServers
            + ": authentication failed ("
            + e.getMessage()
            + ")",
        e);
  }
}
