package dev.skein.broker;

import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import java.util.Map;

/**
 * A request the broker refuses, with the reason, message and metadata the client gets.
 * Services turn it into a gRPC status or a per-partition ErrorDetail.
 */
public final class BrokerException extends RuntimeException {

  private final SkeinError error;

  public BrokerException(SkeinError error) {
    super(error.message(), null, false, false);
    this.error = error;
  }

  public static BrokerException of(ErrorReason reason, String message) {
    return new BrokerException(SkeinError.of(reason, message));
  }

  public static BrokerException of(ErrorReason reason, String message, Map<String, String> metadata) {
    return new BrokerException(SkeinError.of(reason, message, metadata));
  }

  public SkeinError error() {
    return error;
  }
}
