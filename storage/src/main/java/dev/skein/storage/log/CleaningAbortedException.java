package dev.skein.storage.log;

/** A cleaning gave up because its log was truncated, closed or otherwise reshaped meanwhile; it is retried later. */
final class CleaningAbortedException extends RuntimeException {

  CleaningAbortedException(String message) {
    super(message);
  }
}
