package dev.skein.storage.log;

/**
 * A follower append whose batches do not continue exactly from the log end offset (or are not dense
 * among themselves). Nothing was written; the replica must truncate or re-fetch.
 */
public final class UnexpectedAppendOffsetException extends LogException {
  private static final long serialVersionUID = 1L;

  private final long expectedOffset;
  private final long actualOffset;

  public UnexpectedAppendOffsetException(long expectedOffset, long actualOffset) {
    super("Batch starts at offset " + actualOffset + " but the log expects the next batch at offset "
        + expectedOffset);
    this.expectedOffset = expectedOffset;
    this.actualOffset = actualOffset;
  }

  public long expectedOffset() {
    return expectedOffset;
  }

  public long actualOffset() {
    return actualOffset;
  }
}
