package dev.skein.metadata;

import dev.skein.metadata.controller.ControllerError;

/**
 * No controller answered a request before its deadline: the quorum has no leader (an election
 * is under way or too few voters are up) or the leader could not be reached. Retriable; maps to
 * reason CONTROLLER_NOT_AVAILABLE, code 14 UNAVAILABLE.
 */
public final class ControllerNotAvailableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public ControllerNotAvailableException(String message, Throwable cause) {
    super(message, cause);
  }

  public String reason() {
    return ControllerError.CONTROLLER_NOT_AVAILABLE.name();
  }

  public int code() {
    return ControllerError.CONTROLLER_NOT_AVAILABLE.code();
  }
}
