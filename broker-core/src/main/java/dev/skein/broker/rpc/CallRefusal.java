package dev.skein.broker.rpc;

import dev.skein.rpc.SkeinError;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.StatusRuntimeException;

/** How an interceptor refuses a call before it reaches its service: a Skein status, nothing run. */
public final class CallRefusal {

  private CallRefusal() {}

  /** Closes the call with the error's status and ErrorInfo; the listener returned ignores the rest. */
  public static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, SkeinError error) {
    StatusRuntimeException e = error.toStatusException();
    call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
    return new ServerCall.Listener<>() {};
  }
}
