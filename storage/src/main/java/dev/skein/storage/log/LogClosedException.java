package dev.skein.storage.log;

/** The log was closed or deleted (for example because its partition moved away) while it was in use. */
public final class LogClosedException extends LogException {
  private static final long serialVersionUID = 1L;

  public LogClosedException(String message) {
    super(message);
  }
}
