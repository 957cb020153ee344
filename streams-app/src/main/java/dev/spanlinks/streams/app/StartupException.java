package dev.spanlinks.streams.app;

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
}
