package dev.skein.metadata.image;

/** A record's precondition does not hold against the image it is replayed on. */
final class RecordRejectedException extends Exception {

  private static final long serialVersionUID = 1L;

  RecordRejectedException(String message) {
    super(message, null, false, false);
  }
}
