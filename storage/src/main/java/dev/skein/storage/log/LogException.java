package dev.skein.storage.log;

/**
 * Base of the exceptions a partition log throws for requests it refuses (as opposed to I/O failures,
 * which surface as {@link java.io.UncheckedIOException}). Callers map each subclass to a client-visible
 * error reason; none of them means the log is damaged.
 */
public abstract class LogException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  protected LogException(String message) {
    super(message);
  }
}
