package dev.skein.metadata;

import dev.skein.metadata.controller.ControllerError;

/**
 * No controller answered a request before its deadline: the quorum has no leader (an election
 * is under way or too few voters are up) or the leader could not be reached. Retriable; maps to
 * reason CONTROLLER_NOT_AVAILABLE, code 14 UNAVAILABLE, when the request certainly had no
 * effect, and to OUTCOME_UNKNOWN when an attempt may have reached the controller and been
 * carried out although its answer was lost ({@link #mayHaveBeenApplied()}).
 */
public final class ControllerNotAvailableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final boolean mayHaveBeenApplied;

  public ControllerNotAvailableException(String message, Throwable cause) {
    this(message, cause, false);
  }

  public ControllerNotAvailableException(String message, Throwable cause, boolean mayHaveBeenApplied) {
    super(message, cause);
    this.mayHaveBeenApplied = mayHaveBeenApplied;
  }

  /** Whether some attempt may have been carried out by a controller whose answer never came. */
  public boolean mayHaveBeenApplied() {
    return mayHaveBeenApplied;
  }

  public String reason() {
    return ControllerError.CONTROLLER_NOT_AVAILABLE.name();
  }

  public int code() {
    return ControllerError.CONTROLLER_NOT_AVAILABLE.code();
  }
}
