package dev.skein.metadata.controller;

import dev.skein.proto.internal.v1.ControllerResponse;
import java.util.Map;
import java.util.Optional;

/**
 * Why the controller refused a request: a stable reason (sent as {@code error_reason}) with the
 * google.rpc.Code number it maps to (sent as {@code error_code}).
 */
public enum ControllerError {
  /** The member asked is not (or no longer) the active controller; ask again, the leader may have moved. */
  NOT_CONTROLLER(14, true),
  /** No controller answered before the caller's deadline. */
  CONTROLLER_NOT_AVAILABLE(14, true),
  INVALID_REQUEST(3, false),
  INVALID_TOPIC_NAME(3, false),
  INVALID_PARTITIONS(3, false),
  INVALID_REPLICATION_FACTOR(3, false),
  INVALID_CONFIG(3, false),
  TOPIC_ALREADY_EXISTS(6, false),
  UNKNOWN_TOPIC(5, false),
  UNKNOWN_PARTITION(5, false),
  /** Another live process is registered under this broker id. */
  DUPLICATE_BROKER_REGISTRATION(6, true),
  /** The broker epoch is not the broker's current one: the broker must register again. */
  STALE_BROKER_EPOCH(9, false),
  /** The requester does not lead the partition at the leader epoch it named. */
  NOT_LEADER_EPOCH(9, false),
  /** The partition changed since the requester read it (compare-and-set on the partition epoch failed). */
  STALE_PARTITION_EPOCH(10, false),
  INVALID_ISR(3, false),
  UNSUPPORTED(12, false),
  UNKNOWN_MIRROR_LINK(5, false),
  MIRROR_LINK_ALREADY_EXISTS(6, false),
  /**
   * The change was written but its preconditions no longer held when it was applied (a
   * concurrent change won); nothing was changed.
   */
  WRITE_REJECTED(10, true);

  private final int code;
  private final boolean retriable;

  ControllerError(int code, boolean retriable) {
    this.code = code;
    this.retriable = retriable;
  }

  /** The google.rpc.Code number. */
  public int code() {
    return code;
  }

  /** Whether the same request may succeed if sent again. */
  public boolean retriable() {
    return retriable;
  }

  public ControllerResponse response(String message) {
    return response(message, Map.of());
  }

  public ControllerResponse response(String message, Map<String, String> metadata) {
    return ControllerResponse.newBuilder()
        .setErrorReason(name())
        .setErrorCode(code)
        .setErrorMessage(message)
        .putAllErrorMetadata(metadata)
        .build();
  }

  /** The error a response carries, if any; a reason this version does not know maps to none. */
  public static Optional<ControllerError> of(ControllerResponse response) {
    if (response.getErrorReason().isEmpty()) {
      return Optional.empty();
    }
    for (ControllerError error : values()) {
      if (error.name().equals(response.getErrorReason())) {
        return Optional.of(error);
      }
    }
    return Optional.empty();
  }
}
