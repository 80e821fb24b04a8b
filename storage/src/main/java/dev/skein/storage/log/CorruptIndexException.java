package dev.skein.storage.log;

/** An index file that fails its sanity check; the segment's indexes are then rebuilt from the log. */
final class CorruptIndexException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  CorruptIndexException(String message) {
    super(message);
  }
}
