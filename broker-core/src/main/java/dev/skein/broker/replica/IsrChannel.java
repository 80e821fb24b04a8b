package dev.skein.broker.replica;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** How a partition leader asks the controller to change its ISR (compare-and-set on the partition epoch). */
public interface IsrChannel {

  /** The ISR the controller committed, and the partition epoch it committed it at. */
  record IsrUpdate(int partitionEpoch, List<Integer> isr) {}

  CompletableFuture<IsrUpdate> alterPartition(String topicId, int partition, int leaderEpoch, int partitionEpoch,
      List<Integer> newIsr);
}
