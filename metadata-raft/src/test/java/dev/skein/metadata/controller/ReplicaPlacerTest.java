package dev.skein.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReplicaPlacerTest {

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void leadersRotateOverTheBrokersAndReplicasAreDistinct(long seed) {
    List<Integer> brokers = List.of(1, 2, 4, 7, 9);
    List<List<Integer>> assignment = ReplicaPlacer.place(brokers, 10, 3, new Random(seed));

    assertThat(assignment).hasSize(10);
    for (int p = 0; p < 10; p++) {
      List<Integer> replicas = assignment.get(p);
      assertThat(replicas).as("seed %d partition %d", seed, p).hasSize(3).doesNotHaveDuplicates()
          .isSubsetOf(brokers);
      if (p > 0) {
        int previousLeader = brokers.indexOf(assignment.get(p - 1).get(0));
        assertThat(brokers.indexOf(replicas.get(0))).as("seed %d: partition %d leads on the next broker", seed, p)
            .isEqualTo((previousLeader + 1) % brokers.size());
      }
    }
    Map<Integer, Integer> leaderships = new HashMap<>();
    assignment.forEach(replicas -> leaderships.merge(replicas.get(0), 1, Integer::sum));
    assertThat(leaderships.values()).as("seed %d", seed).containsOnly(2);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void followersOfOneLeaderAreSpreadOverTheOtherBrokers(long seed) {
    List<Integer> brokers = List.of(1, 2, 3, 4);
    List<List<Integer>> assignment = ReplicaPlacer.place(brokers, 12, 2, new Random(seed));
    Map<Integer, Set<Integer>> followersByLeader = new HashMap<>();
    assignment.forEach(replicas -> followersByLeader.computeIfAbsent(replicas.get(0), key -> new HashSet<>())
        .add(replicas.get(1)));
    // Each broker leads 3 partitions; its followers shift every round, so they differ.
    assertThat(followersByLeader.values()).as("seed %d", seed).allSatisfy(followers -> assertThat(followers).hasSize(3));
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void theStartingBrokerIsRandom(long seed) {
    Set<Integer> firstLeaders = new HashSet<>();
    Random random = new Random(seed);
    for (int i = 0; i < 30; i++) {
      firstLeaders.add(ReplicaPlacer.place(List.of(1, 2, 3), 1, 1, random).get(0).get(0));
    }
    assertThat(firstLeaders).containsExactlyInAnyOrder(1, 2, 3);
  }
}
