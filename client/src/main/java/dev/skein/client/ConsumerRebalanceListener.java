package dev.skein.client;

import java.util.Collection;

/**
 * Told, on the thread that calls {@link SkeinConsumer#poll}, when the group coordinator moves
 * partitions to or from this consumer. Revocation comes first: a partition is given to another
 * member only after this one has been told it is revoked and has stopped reading it (and, with
 * enable.auto.commit, committed its position), so commit what you processed in
 * {@link #onPartitionsRevoked}.
 */
public interface ConsumerRebalanceListener {

  /** These partitions are taken away; they are still owned while this runs, so commits succeed. */
  void onPartitionsRevoked(Collection<TopicPartition> partitions);

  /** These partitions are now this consumer's; reading starts at their committed offsets. */
  void onPartitionsAssigned(Collection<TopicPartition> partitions);

  /**
   * These partitions were lost without a chance to revoke them (the coordinator removed this
   * member after its session timed out): other members may already own them, so a commit would
   * be refused. The default treats it as a revocation.
   */
  default void onPartitionsLost(Collection<TopicPartition> partitions) {
    onPartitionsRevoked(partitions);
  }

  /** A listener that does nothing. */
  ConsumerRebalanceListener NONE = new ConsumerRebalanceListener() {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
  };
}
