package dev.skein.storage.log;

/** Bytes or header values that are not a well-formed stored batch; nothing was written. */
public final class InvalidBatchException extends LogException {
  private static final long serialVersionUID = 1L;

  /** Why a batch was rejected. Recovery logs it; a broker may map it to an error reason. */
  public enum Reason {
    /** Fewer bytes than the entry declares: a torn write, or a partial entry sent by a peer. */
    TRUNCATED,
    /** A tag byte, a padded varint or a length does not match the stored layout. */
    MALFORMED,
    /** The layout is right but a header value is impossible (negative counts, offset overflow, ...). */
    INVALID_HEADER,
    /** The CRC-32C stored in the batch does not match its bytes. */
    CRC_MISMATCH
  }

  private final Reason reason;

  public InvalidBatchException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
