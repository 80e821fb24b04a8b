package dev.skein.broker.rpc;

import dev.skein.broker.BrokerException;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.proto.v1.ErrorDetail;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.StatusRuntimeException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns whatever went wrong into what a client gets: a BrokerException keeps its reason; an
 * error naming a leader (NOT_LEADER, or OUTCOME_UNKNOWN after leadership moved) gains the
 * leader's address from the current image so the client can go there directly, or says that
 * the address is not known; anything else is a bug or an I/O failure, logged here and
 * reported as UNKNOWN_SERVER_ERROR without internals.
 */
public final class Errors {

  private static final Logger log = LoggerFactory.getLogger(Errors.class);

  private final Supplier<ClusterImage> image;

  public Errors(Supplier<ClusterImage> image) {
    this.image = image;
  }

  public SkeinError toError(Throwable failure, String context) {
    if (failure instanceof BrokerException e) {
      return withLeaderAddress(e.error());
    }
    return unexpected(failure, context);
  }

  /**
   * The error for a failure with no Skein reason. A StatusRuntimeException from another
   * broker keeps the reason it carried; anything else is a bug or an I/O failure.
   */
  private SkeinError unexpected(Throwable failure, String context) {
    if (failure instanceof StatusRuntimeException e) {
      return SkeinError.fromThrowable(e).orElseGet(() -> SkeinError.of(ErrorReason.UNKNOWN_SERVER_ERROR,
          context + " failed: " + e.getStatus()));
    }
    log.error("{} failed", context, failure);
    return SkeinError.of(ErrorReason.UNKNOWN_SERVER_ERROR, context + " failed on the broker: "
        + failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage()));
  }

  public ErrorDetail toDetail(Throwable failure, String context) {
    return toError(failure, context).toDetail();
  }

  public StatusRuntimeException toStatus(Throwable failure, String context) {
    return toError(failure, context).toStatusException();
  }

  /**
   * A failure while appending a produced batch: unless the broker refused it with a reason
   * before appending, the batch may be in the log, so the outcome is unknown, never "not stored".
   */
  public SkeinError toProduceError(Throwable failure, String context) {
    if (failure instanceof BrokerException e) {
      return withLeaderAddress(e.error());
    }
    SkeinError cause = unexpected(failure, context);
    if (cause.reason().outcomeUnknown()) {
      return cause;
    }
    return SkeinError.of(ErrorReason.OUTCOME_UNKNOWN, context + " failed on the broker while the batch was being "
        + "handled; it may or may not have been appended (" + cause.message() + ")", cause.metadata());
  }

  /** Adds the leader's address to an error that names a leader, or says that it is not known. */
  public SkeinError withLeaderAddress(SkeinError error) {
    String leaderId = error.metadata().get("leader_id");
    if (leaderId == null || error.metadata().containsKey("leader_address")) {
      return error;
    }
    return image.get().brokers().get(Integer.parseInt(leaderId)).map(leader -> {
      Map<String, String> metadata = new HashMap<>(error.metadata());
      metadata.put("leader_address", leader.host() + ":" + leader.port());
      return SkeinError.of(error.reason(), error.message(), metadata);
    }).orElseGet(() -> SkeinError.of(error.reason(), error.message() + " (this broker does not know broker "
        + leaderId + "'s address yet; refresh metadata)", error.metadata()));
  }
}
