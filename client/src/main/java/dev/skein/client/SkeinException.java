package dev.skein.client;

import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Status;
import java.util.Optional;

/**
 * A failed client operation. When the broker said why, {@link #error()} holds its reason,
 * message and metadata; otherwise (broker unreachable, deadline passed) only the gRPC code.
 */
public class SkeinException extends RuntimeException {

  private final SkeinError error;
  private final Status.Code code;

  public SkeinException(SkeinError error) {
    super(error.message() + " (" + error.reason() + ")");
    this.error = error;
    this.code = error.reason().code();
  }

  public SkeinException(String message, Status.Code code, Throwable cause) {
    super(message, cause);
    this.error = null;
    this.code = code;
  }

  /** Wraps a failed gRPC call, keeping the broker's reason when it gave one. */
  public static SkeinException from(Throwable failure) {
    if (failure instanceof SkeinException e) {
      return e;
    }
    Optional<SkeinError> error = SkeinError.fromThrowable(failure);
    if (error.isPresent()) {
      SkeinException e = new SkeinException(error.get());
      e.initCause(failure);
      return e;
    }
    Status status = Status.fromThrowable(failure);
    Optional<String> tls = dev.skein.client.internal.TlsFailures.explain(failure);
    if (tls.isPresent()) {
      return new SkeinException(tls.get(), status.getCode(), failure);
    }
    String description = status.getDescription() != null ? status.getDescription() : failure.toString();
    return new SkeinException(status.getCode() + ": " + description, status.getCode(), failure);
  }

  public Optional<SkeinError> error() {
    return Optional.ofNullable(error);
  }

  public Optional<ErrorReason> reason() {
    return error().map(SkeinError::reason);
  }

  public Status.Code code() {
    return code;
  }

  /**
   * Whether the same operation may succeed later: a retriable reason, or the broker was
   * unreachable, too slow, or went away mid-call (the client never cancels its own calls, so
   * CANCELLED means the other side reset the stream).
   */
  public boolean retriable() {
    if (error != null) {
      return error.retriable();
    }
    return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
        || code == Status.Code.CANCELLED;
  }
}
