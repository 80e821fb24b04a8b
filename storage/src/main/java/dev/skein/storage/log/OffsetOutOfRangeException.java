package dev.skein.storage.log;

/** A read or lookup at an offset outside [log start offset, log end offset]. */
public final class OffsetOutOfRangeException extends LogException {
  private static final long serialVersionUID = 1L;

  private final long requestedOffset;
  private final long logStartOffset;
  private final long logEndOffset;

  public OffsetOutOfRangeException(long requestedOffset, long logStartOffset, long logEndOffset) {
    super("Offset " + requestedOffset + " is out of range: the log holds offsets from " + logStartOffset
        + " (log start offset) up to " + logEndOffset + " (log end offset, exclusive)");
    this.requestedOffset = requestedOffset;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }

  public long requestedOffset() {
    return requestedOffset;
  }

  public long logStartOffset() {
    return logStartOffset;
  }

  public long logEndOffset() {
    return logEndOffset;
  }
}
