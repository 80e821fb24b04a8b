package dev.skein.metadata.image;

import java.util.List;

/**
 * One partition's replica assignment, in-sync replicas and leader.
 *
 * @param replicas the assigned replicas, preferred leader first
 * @param isr the in-sync replicas, a subset of {@code replicas}
 * @param leader the leading broker, or {@link #NO_LEADER}
 * @param leaderEpoch raised by one at every leader change (to "no leader" too); never falls
 * @param partitionEpoch raised by one at every change of this partition; ISR changes proposed by
 *     a leader compare-and-set on it
 */
public record PartitionRegistration(
    List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch, int partitionEpoch) {

  public static final int NO_LEADER = -1;

  public PartitionRegistration {
    replicas = List.copyOf(replicas);
    isr = List.copyOf(isr);
  }

  public boolean hasLeader() {
    return leader != NO_LEADER;
  }

  /** The first replica: the broker that leads when it can, so that leaderships spread as placed. */
  public int preferredLeader() {
    return replicas.isEmpty() ? NO_LEADER : replicas.get(0);
  }

  /** Whether the preferred leader leads. */
  public boolean hasPreferredLeader() {
    return hasLeader() && leader == preferredLeader();
  }

  public boolean isReplica(int brokerId) {
    return replicas.contains(brokerId);
  }

  public boolean isInIsr(int brokerId) {
    return isr.contains(brokerId);
  }
}
