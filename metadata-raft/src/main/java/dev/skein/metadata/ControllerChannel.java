package dev.skein.metadata;

import dev.skein.metadata.controller.ControllerError;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.protocol.exceptions.ServerNotReadyException;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends controller requests to whichever voter leads the metadata quorum.
 *
 * <p>A request travels as a Ratis read-only request, which Ratis answers only on the ready
 * leader (it hands it to the state machine's {@code query}, where the controller runs). It is
 * sent unordered: requests from different callers are independent, and one that fails must not
 * hold up or fail the others, as Ratis' ordered stream would. While there is no leader, or the
 * one asked is not it, the channel retries with backoff until the caller's deadline; then the
 * future fails with {@link ControllerNotAvailableException}.
 *
 * <p>A response is returned as is, including refusals (see {@link ControllerError}). A request
 * whose answer was lost may be retried and so executed twice; every request is either
 * idempotent or fails recognisably the second time (a topic created twice gets
 * TOPIC_ALREADY_EXISTS). When the deadline passes, the failure says whether any attempt may
 * have been carried out: only an explicit "not the controller" answer proves an attempt had
 * no effect; a lost or late answer does not.
 */
public final class ControllerChannel implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ControllerChannel.class);
  private static final long MIN_BACKOFF_MS = 20;
  private static final long MAX_BACKOFF_MS = 500;
  private static final long MAX_ATTEMPT_MS = 3000;

  private final RaftClient client;
  private final ScheduledExecutorService scheduler;
  private volatile boolean closed;

  /**
   * @param client a client of the voters' group; its retry policy should give up quickly, as
   *     the channel retries with the caller's deadline
   */
  ControllerChannel(RaftClient client, ScheduledExecutorService scheduler) {
    this.client = client;
    this.scheduler = scheduler;
  }

  /**
   * Sends a request to the controller.
   *
   * @param timeout how long to keep trying to reach a controller
   * @return the controller's response; fails with {@link ControllerNotAvailableException} if no
   *     controller answered in time
   */
  public CompletableFuture<ControllerResponse> send(ControllerRequest request, Duration timeout) {
    CompletableFuture<ControllerResponse> result = new CompletableFuture<>();
    Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(request.toByteArray()));
    long deadline = System.nanoTime() + timeout.toNanos();
    attempt(request, message, deadline, 0, null, false, result);
    return result;
  }

  private void attempt(ControllerRequest request, Message message, long deadline, int attempt, Throwable lastError,
      boolean mayHaveBeenApplied, CompletableFuture<ControllerResponse> result) {
    long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (closed) {
      result.completeExceptionally(new ControllerNotAvailableException("the controller channel is closed", lastError,
          mayHaveBeenApplied));
      return;
    }
    if (remainingMs <= 0) {
      result.completeExceptionally(new ControllerNotAvailableException(
          "no controller answered the " + request.getRequestCase() + " request within the deadline"
              + (lastError == null ? "" : "; last error: " + lastError), lastError, mayHaveBeenApplied));
      return;
    }
    CompletableFuture<RaftClientReply> reply;
    try {
      // To the leader as the client knows it; the client follows NotLeader hints and moves on
      // from a server it cannot reach.
      reply = client.async().sendReadOnlyUnordered(message, null);
    } catch (RuntimeException e) {
      reply = CompletableFuture.failedFuture(e);
    }
    reply.orTimeout(Math.min(remainingMs, MAX_ATTEMPT_MS), TimeUnit.MILLISECONDS).whenComplete((raftReply, error) -> {
      Throwable failure = error;
      // Unless the controller said it is not the controller, this attempt may have been carried out.
      boolean maybeApplied = mayHaveBeenApplied;
      if (failure == null) {
        try {
          ControllerResponse response = ControllerResponse.parseFrom(raftReply.getMessage().getContent().toByteArray());
          if (!ControllerError.NOT_CONTROLLER.name().equals(response.getErrorReason())) {
            result.complete(response);
            return;
          }
          // The leader's controller has not started yet, or has just stopped.
          failure = new IOException(response.getErrorMessage());
        } catch (IOException | RuntimeException e) {
          failure = e;
          maybeApplied = true;
        }
      } else if (!certainlyNotCarriedOut(failure)) {
        maybeApplied = true;
      }
      boolean appliedSoFar = maybeApplied;
      Throwable cause = unwrap(failure);
      long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      long backoff = Math.max(0, Math.min(remaining, Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS << Math.min(attempt, 5))));
      LOG.debug("Controller request {} failed ({}, may have been carried out: {}); retrying in {} ms",
          request.getRequestCase(), cause.toString(), appliedSoFar, backoff);
      try {
        scheduler.schedule(() -> attempt(request, message, deadline, attempt + 1, cause, appliedSoFar, result),
            backoff, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        result.completeExceptionally(new ControllerNotAvailableException("the metadata quorum member is closed", cause,
            appliedSoFar));
      }
    });
  }

  /**
   * Whether a failed attempt certainly did not reach a controller that could act on it: the
   * connection was refused, or the server answered that it is not (or not yet) the ready
   * leader. A timeout or a broken connection after sending proves nothing.
   */
  static boolean certainlyNotCarriedOut(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException || t instanceof NotLeaderException
          || t instanceof LeaderNotReadyException || t instanceof ServerNotReadyException
          || t instanceof LeaderSteppingDownException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private static Throwable unwrap(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof RaftRetryFailureException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  @Override
  public void close() {
    closed = true;
  }
}
