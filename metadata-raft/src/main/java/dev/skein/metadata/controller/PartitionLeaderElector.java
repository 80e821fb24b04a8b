package dev.skein.metadata.controller;

import dev.skein.metadata.image.PartitionRegistration;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Chooses a partition's leader.
 *
 * <p>A clean election picks the first replica, in assignment order (so the preferred leader
 * wins when it can), that is in the ISR and usable. Only if there is none, and the topic allows
 * unclean elections, does it pick the first usable replica outside the ISR; that replica may
 * lack committed records, so the election is marked unclean and the ISR restarts from it.
 *
 * <p>A preferred-leader election is the clean election restricted to the first replica.
 */
final class PartitionLeaderElector {

  /** The outcome: a leader (or {@link PartitionRegistration#NO_LEADER}) and whether it was unclean. */
  record Election(int leader, boolean unclean) {

    static final Election NONE = new Election(PartitionRegistration.NO_LEADER, false);

    boolean hasLeader() {
      return leader != PartitionRegistration.NO_LEADER;
    }
  }

  private PartitionLeaderElector() {}

  /**
   * @param usable whether a broker may lead now (registered, unfenced, not shutting down)
   */
  static Election elect(List<Integer> replicas, List<Integer> isr, IntPredicate usable, boolean uncleanAllowed) {
    for (int replica : replicas) {
      if (isr.contains(replica) && usable.test(replica)) {
        return new Election(replica, false);
      }
    }
    if (uncleanAllowed) {
      for (int replica : replicas) {
        if (usable.test(replica)) {
          return new Election(replica, true);
        }
      }
    }
    return Election.NONE;
  }

  /**
   * The preferred leader (the first replica) if it may lead: in the ISR and usable. Never
   * unclean: moving a healthy partition's leadership is not worth losing committed records.
   */
  static Election electPreferred(List<Integer> replicas, List<Integer> isr, IntPredicate usable) {
    if (replicas.isEmpty()) {
      return Election.NONE;
    }
    return elect(replicas.subList(0, 1), isr, usable, false);
  }
}
