package dev.skein.broker.replica;

/**
 * What a leader knows about one follower of one partition, from its fetches. Mutable; used
 * under the partition's lock.
 */
final class FollowerState {

  /** The follower's log end offset: the offset it last asked for. -1 until it has fetched. */
  long logEndOffset = -1;
  /** Last time the follower was known to have all of the leader's log (Kafka's lastCaughtUpTimeMs). */
  long lastCaughtUpMs;
  /** The leader's log end offset and the time at the follower's previous fetch. */
  long leaderEndAtLastFetch = -1;
  long lastFetchMs;
  /**
   * The follower's fsynced offset from its last fetch (never above its log end); what counts for
   * durable topics. -1 until it has fetched.
   */
  long flushedOffset = -1;
  /** The follower's log start offset from its last fetch; -1 until it has fetched. */
  long logStartOffset = -1;

  FollowerState(long lastCaughtUpMs) {
    this.lastCaughtUpMs = lastCaughtUpMs;
  }

  /**
   * Records a fetch from {@code fetchOffset}. The follower is caught up now if it asked for
   * the leader's log end; it was caught up at its previous fetch if it now has everything
   * the leader had then.
   */
  void onFetch(long fetchOffset, long leaderLogEnd, long nowMs) {
    if (fetchOffset >= leaderLogEnd) {
      lastCaughtUpMs = Math.max(lastCaughtUpMs, nowMs);
    } else if (leaderEndAtLastFetch >= 0 && fetchOffset >= leaderEndAtLastFetch) {
      lastCaughtUpMs = Math.max(lastCaughtUpMs, lastFetchMs);
    }
    logEndOffset = fetchOffset;
    leaderEndAtLastFetch = leaderLogEnd;
    lastFetchMs = nowMs;
  }
}
