package dev.skein.broker.rpc;

import dev.skein.broker.BrokerException;
import dev.skein.metadata.ControllerNotAvailableException;
import dev.skein.metadata.MetadataQuorum;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Sends a request to the controller and, once it succeeded, waits until this broker's own
 * image has applied the change, so the caller can read its effect at once (read your writes).
 * A failure says CONTROLLER_NOT_AVAILABLE only when the request certainly had no effect, and
 * OUTCOME_UNKNOWN when it may have been carried out.
 */
public final class ControllerCalls {

  private final MetadataQuorum quorum;
  private final Duration timeout;

  public ControllerCalls(MetadataQuorum quorum, Duration timeout) {
    this.quorum = quorum;
    this.timeout = timeout;
  }

  /** Completes with the response and the local image that includes it, or fails with a BrokerException. */
  public CompletableFuture<Applied> call(ControllerRequest request) {
    return quorum.controller().send(request, timeout)
        .handle((response, failure) -> {
          if (failure != null) {
            throw new CompletionException(translate(failure));
          }
          if (!response.getErrorReason().isEmpty()) {
            throw new CompletionException(new BrokerException(SkeinError.of(
                ErrorReason.fromName(response.getErrorReason()), response.getErrorMessage(),
                response.getErrorMetadataMap())));
          }
          return response;
        })
        .thenCompose(response -> response.getAppliedIndex() <= 0
            ? CompletableFuture.completedFuture(new Applied(response, quorum.image()))
            : quorum.awaitOffset(response.getAppliedIndex()).thenApply(image -> new Applied(response, image)));
  }

  /** A successful controller response with an image at or past its change. */
  public record Applied(ControllerResponse response, ClusterImage image) {}

  private static RuntimeException translate(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof ControllerNotAvailableException e) {
      if (e.mayHaveBeenApplied()) {
        return BrokerException.of(ErrorReason.OUTCOME_UNKNOWN, e.getMessage() + "; the request may have reached the "
            + "controller and been carried out, so check (describe, list) before repeating it");
      }
      return BrokerException.of(ErrorReason.CONTROLLER_NOT_AVAILABLE, e.getMessage() + "; nothing was changed");
    }
    if (cause instanceof BrokerException e) {
      return e;
    }
    return BrokerException.of(ErrorReason.OUTCOME_UNKNOWN, "the metadata controller did not answer: "
        + cause.getMessage() + "; the request may or may not have been carried out");
  }
}
