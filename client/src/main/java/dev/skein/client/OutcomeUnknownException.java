package dev.skein.client;

import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Status;
import java.util.OptionalLong;

/**
 * A write whose outcome is unknown: it may have been stored, and consumers may read it, or it
 * may be lost. The broker appended it but could not confirm it (leadership moved, too few
 * replicas had it, replication timed out), or the connection failed after it was sent.
 *
 * <p>A producer with idempotence (the default with acks=all) resends such writes itself, since
 * the leader recognises a duplicate; it throws this only when it runs out of time
 * (delivery.timeout.ms) with the outcome still open. A producer without idempotence throws it
 * at once rather than resend and risk storing the record twice. Treat the record as "may have
 * been written": check for it, or make its processing tolerate a duplicate.
 */
public final class OutcomeUnknownException extends SkeinException {

  private static final long serialVersionUID = 1L;

  private final long appendedOffset;

  /** From a broker's outcome-unknown answer ({@link ErrorReason#outcomeUnknown()}). */
  public OutcomeUnknownException(SkeinError error) {
    super(error);
    this.appendedOffset = parseOffset(error.metadata().get("appended_offset"));
  }

  /** From a call that failed after it was sent, with no answer from the broker. */
  public OutcomeUnknownException(String message, Status.Code code, Throwable cause) {
    super(message, code, cause);
    this.appendedOffset = cause instanceof OutcomeUnknownException e ? e.appendedOffset : -1;
  }

  /** The offset the batch was appended at on the leader that answered, if that broker said so. */
  public OptionalLong appendedOffset() {
    return appendedOffset >= 0 ? OptionalLong.of(appendedOffset) : OptionalLong.empty();
  }

  private static long parseOffset(String value) {
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
