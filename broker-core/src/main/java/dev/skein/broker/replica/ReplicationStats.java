package dev.skein.broker.replica;

import java.util.concurrent.atomic.LongAdder;

/**
 * Running totals of ISR changes on the partitions this broker leads, and of the follower
 * fetches it serves, read by the broker's metrics.
 */
public final class ReplicationStats {

  private final LongAdder isrShrinks = new LongAdder();
  private final LongAdder isrExpands = new LongAdder();
  private final LongAdder followerFetches = new LongAdder();
  private final LongAdder followerFetchPartitionsAsked = new LongAdder();
  private final LongAdder followerFetchPartitionsAnswered = new LongAdder();

  void onIsrChange(int before, int after) {
    if (after < before) {
      isrShrinks.increment();
    } else if (after > before) {
      isrExpands.increment();
    }
  }

  /** ISR shrinks applied from metadata while this broker led the partition (Kafka's IsrShrinksPerSec). */
  public long isrShrinks() {
    return isrShrinks.sum();
  }

  public long isrExpands() {
    return isrExpands.sum();
  }

  void onFollowerFetch(int partitionsAsked, int partitionsAnswered) {
    followerFetches.increment();
    followerFetchPartitionsAsked.add(partitionsAsked);
    followerFetchPartitionsAnswered.add(partitionsAnswered);
  }

  /** Follower fetches answered by this broker as a leader. */
  public long followerFetches() {
    return followerFetches.sum();
  }

  /**
   * Partitions listed in those fetches: every partition of a full request, only the changed
   * ones of an incremental request (fetch sessions).
   */
  public long followerFetchPartitionsAsked() {
    return followerFetchPartitionsAsked.sum();
  }

  /** Partitions in the responses to those fetches. */
  public long followerFetchPartitionsAnswered() {
    return followerFetchPartitionsAnswered.sum();
  }
}
