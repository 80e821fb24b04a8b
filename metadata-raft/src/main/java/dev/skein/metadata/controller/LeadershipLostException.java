package dev.skein.metadata.controller;

/**
 * A {@link BatchWriter} write failed because this member no longer leads the metadata quorum.
 * The controller that sees it stops at once: it can write nothing more, and a new leader's
 * controller does its work.
 */
public final class LeadershipLostException extends RuntimeException {

  public LeadershipLostException(String message, Throwable cause) {
    super(message, cause);
  }
}
