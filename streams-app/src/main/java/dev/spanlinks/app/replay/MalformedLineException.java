package dev.spanlinks.app.replay;

/**
 * A line of a replay file that is not a record. The message names the file's line and the reason,
 * and is meant for the user as it is.
 */
public final class MalformedLineException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  MalformedLineException(String message) {
    super(message);
  }
}
