package dev.spanlinks.app.replay;

/**
 * A reason an export, import or replay cannot go on that the user can act on (a missing topic, a
 * cluster that does not answer). The message is meant for the user as it is.
 */
public final class ReplayException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ReplayException(String message) {
    super(message);
  }

  ReplayException(String message, Throwable cause) {
    super(message, cause);
  }
}
