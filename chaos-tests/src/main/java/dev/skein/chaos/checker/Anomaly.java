package dev.skein.chaos.checker;

/** One thing the history shows that a correct log must never do. */
public record Anomaly(Kind kind, Integer partition, String detail) {

  public enum Kind {
    /** Acknowledged, never read, although later offsets of its partition were read. */
    LOST_WRITE,
    /** Acknowledged, absent from the final drain. */
    UNSEEN,
    /** One value at two offsets. */
    DUPLICATE,
    /** Two values at one offset (in reads, or a read against the acknowledgement). */
    INCONSISTENT_OFFSET,
    /** An {@code assign} consumer was given a partition's offsets out of order. */
    NON_MONOTONIC_READ,
    /** A value was read whose send definitely failed. */
    READ_OF_FAILED_WRITE,
    /** A value was read that nobody sent. */
    NEVER_SENT,
    /** Read once, not at that offset in the final drain. */
    VISIBLE_THEN_MISSING,
    /** A group's committed offset for a partition moved backwards. */
    COMMIT_BACKWARDS,
    /**
     * A group member read or committed a partition (ok) after another member was assigned it and
     * before its own revocation: both acted as its owner at once.
     */
    DOUBLE_OWNERSHIP,
    /**
     * Some partition had no leader 30 s after every broker answered again following the heal (or
     * never); in a history without {@code brokers-up}, 30 s after the heal.
     */
    NO_LEADER_AFTER_HEAL,
    /** No send, read or group commit succeeded after the heal (after {@code brokers-up}, when present). */
    NO_PROGRESS,
    /** The final drain did not read every partition to its end, so nothing after it can be trusted. */
    DRAIN_INCOMPLETE
  }
}
