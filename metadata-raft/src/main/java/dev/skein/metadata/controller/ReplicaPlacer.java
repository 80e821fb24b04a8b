package dev.skein.metadata.controller;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Places a new topic's replicas the way Kafka's rack-unaware assignment does.
 *
 * <p>Partition {@code p}'s first replica (its preferred leader) is broker
 * {@code (start + p) mod n}, so leaders rotate over the brokers. Its followers come after it at
 * a shift that grows by one every {@code n} partitions, so that a broker's followers for
 * different partitions are spread over the other brokers instead of always being its
 * neighbours. The start and the initial shift are random, so that many small topics do not all
 * pile their leaders on the first broker.
 */
final class ReplicaPlacer {

  private ReplicaPlacer() {}

  /**
   * @param brokers the brokers to place on, sorted by id
   * @return for each partition, its replicas, preferred leader first
   */
  static List<List<Integer>> place(List<Integer> brokers, int partitions, int replicationFactor, Random random) {
    int n = brokers.size();
    if (replicationFactor < 1 || replicationFactor > n) {
      throw new IllegalArgumentException("replication factor " + replicationFactor + " with " + n + " brokers");
    }
    int start = random.nextInt(n);
    int shift = random.nextInt(n);
    List<List<Integer>> assignment = new ArrayList<>(partitions);
    for (int partition = 0; partition < partitions; partition++) {
      if (partition > 0 && partition % n == 0) {
        shift++;
      }
      int first = (start + partition) % n;
      List<Integer> replicas = new ArrayList<>(replicationFactor);
      replicas.add(brokers.get(first));
      for (int j = 0; j < replicationFactor - 1; j++) {
        replicas.add(brokers.get(followerIndex(first, shift, j, n)));
      }
      assignment.add(List.copyOf(replicas));
    }
    return assignment;
  }

  /** The j-th follower's index: never the first replica's, and distinct for distinct j. */
  private static int followerIndex(int first, int shift, int j, int n) {
    int offset = 1 + (shift + j) % (n - 1);
    return (first + offset) % n;
  }
}
