package dev.skein.broker.group;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Sticky and uniform: every member keeps the partitions it had as far as balance allows,
 * partitions nobody has go to the eligible member with the fewest, and then partitions move
 * one at a time from the fullest member to an eligible one with at least two fewer, until none can.
 * With identical subscriptions member counts differ by at most one, and a joining member takes
 * partitions only from the members with the most.
 */
final class UniformAssignor implements Assignor {

  static final String NAME = "uniform";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Set<TopicPartition>> assign(Map<String, Set<String>> subscriptions,
      Map<String, Integer> partitionCounts, Map<String, Set<TopicPartition>> current) {
    // Members by index (in id order), so the hot loops work on arrays.
    List<String> ids = new ArrayList<>(new TreeSet<>(subscriptions.keySet()));
    int n = ids.size();
    List<TreeSet<TopicPartition>> owned = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      owned.add(new TreeSet<>());
    }
    Map<String, int[]> eligibleByTopic = new TreeMap<>();
    for (String topic : partitionCounts.keySet()) {
      List<Integer> eligible = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (subscriptions.get(ids.get(i)).contains(topic)) {
          eligible.add(i);
        }
      }
      eligibleByTopic.put(topic, eligible.stream().mapToInt(Integer::intValue).toArray());
    }
    Set<TopicPartition> taken = new HashSet<>();
    // 1. Stickiness: keep what is still valid.
    for (int i = 0; i < n; i++) {
      for (TopicPartition tp : current.getOrDefault(ids.get(i), Set.of())) {
        Integer count = partitionCounts.get(tp.topic());
        if (count != null && tp.partition() < count && subscriptions.get(ids.get(i)).contains(tp.topic())
            && taken.add(tp)) {
          owned.get(i).add(tp);
        }
      }
    }
    // 2. Partitions without an owner go to the eligible member with the fewest.
    for (Map.Entry<String, int[]> topic : eligibleByTopic.entrySet()) {
      int[] eligible = topic.getValue();
      if (eligible.length == 0) {
        continue;
      }
      for (int p = 0; p < partitionCounts.get(topic.getKey()); p++) {
        TopicPartition tp = new TopicPartition(topic.getKey(), p);
        if (taken.add(tp)) {
          owned.get(fewest(eligible, owned)).add(tp);
        }
      }
    }
    // 3. Balance: one partition at a time from the fullest member that has one the emptiest
    // may take, while they differ by more than one. Taking from the fullest first means no
    // member drops below its share only to be refilled later, so nothing moves needlessly.
    Set<String>[] subscribed = subscriptionsByIndex(ids, subscriptions);
    while (true) {
      List<Integer> ascending = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        ascending.add(i);
      }
      ascending.sort((a, b) -> Integer.compare(owned.get(a).size(), owned.get(b).size()));
      boolean moved = false;
      for (int to : ascending) {
        for (int k = n - 1; k >= 0 && !moved; k--) {
          int from = ascending.get(k);
          if (owned.get(from).size() - owned.get(to).size() <= 1) {
            break;
          }
          for (TopicPartition tp : owned.get(from).descendingSet()) {
            if (subscribed[to].contains(tp.topic())) {
              owned.get(from).remove(tp);
              owned.get(to).add(tp);
              moved = true;
              break;
            }
          }
        }
        if (moved) {
          break;
        }
      }
      if (!moved) {
        break;
      }
    }
    Map<String, Set<TopicPartition>> result = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      result.put(ids.get(i), owned.get(i));
    }
    return result;
  }

  @SuppressWarnings("unchecked")
  private static Set<String>[] subscriptionsByIndex(List<String> ids, Map<String, Set<String>> subscriptions) {
    Set<String>[] out = new Set[ids.size()];
    for (int i = 0; i < ids.size(); i++) {
      out[i] = subscriptions.get(ids.get(i));
    }
    return out;
  }

  private static int fewest(int[] eligible, List<TreeSet<TopicPartition>> owned) {
    int best = eligible[0];
    int bestCount = owned.get(best).size();
    for (int m : eligible) {
      int count = owned.get(m).size();
      if (count < bestCount) {
        best = m;
        bestCount = count;
      }
    }
    return best;
  }
}
