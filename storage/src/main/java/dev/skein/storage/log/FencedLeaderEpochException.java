package dev.skein.storage.log;

/**
 * A leader append in an epoch older than one the log already holds: the caller's leadership is stale
 * (another leader has written, or taken over, since). Nothing was written.
 */
public final class FencedLeaderEpochException extends LogException {
  private static final long serialVersionUID = 1L;

  private final int leaderEpoch;
  private final int latestEpoch;

  public FencedLeaderEpochException(int leaderEpoch, int latestEpoch) {
    super("Cannot append as leader in epoch " + leaderEpoch + ": the log already holds epoch " + latestEpoch);
    this.leaderEpoch = leaderEpoch;
    this.latestEpoch = latestEpoch;
  }

  public int leaderEpoch() {
    return leaderEpoch;
  }

  public int latestEpoch() {
    return latestEpoch;
  }
}
