package dev.skein.broker.replica;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Cuts replication from chosen leaders, for tests and failure drills: a follower whose
 * leader is blocked stops fetching from it (as if the network between them were cut) while
 * everything else, heartbeats to the controller included, goes on.
 */
public final class ReplicationFaults {

  private final Set<Integer> blockedLeaders = ConcurrentHashMap.newKeySet();

  /** Stops fetching from this leader broker until {@link #heal}. */
  public void blockFetchesFrom(int leaderId) {
    blockedLeaders.add(leaderId);
  }

  public void heal() {
    blockedLeaders.clear();
  }

  boolean isBlocked(int leaderId) {
    return blockedLeaders.contains(leaderId);
  }
}
