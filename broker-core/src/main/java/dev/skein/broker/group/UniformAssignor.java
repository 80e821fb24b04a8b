package dev.skein.broker.group;

import java.util.ArrayList;
import java.util.HashMap;
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
    List<String> memberIds = new ArrayList<>(new TreeSet<>(subscriptions.keySet()));
    Map<String, TreeSet<TopicPartition>> result = new TreeMap<>();
    memberIds.forEach(m -> result.put(m, new TreeSet<>()));
    Map<String, List<String>> eligibleByTopic = new HashMap<>();
    for (String topic : partitionCounts.keySet()) {
      List<String> eligible = new ArrayList<>();
      for (String m : memberIds) {
        if (subscriptions.get(m).contains(topic)) {
          eligible.add(m);
        }
      }
      eligibleByTopic.put(topic, eligible);
    }
    Set<TopicPartition> taken = new java.util.HashSet<>();
    // 1. Stickiness: keep what is still valid.
    for (String m : memberIds) {
      for (TopicPartition tp : current.getOrDefault(m, Set.of())) {
        Integer count = partitionCounts.get(tp.topic());
        if (count != null && tp.partition() < count && subscriptions.get(m).contains(tp.topic()) && taken.add(tp)) {
          result.get(m).add(tp);
        }
      }
    }
    // 2. Partitions without an owner go to the eligible member with the fewest.
    for (Map.Entry<String, Integer> topic : new TreeMap<>(partitionCounts).entrySet()) {
      List<String> eligible = eligibleByTopic.get(topic.getKey());
      if (eligible.isEmpty()) {
        continue;
      }
      for (int p = 0; p < topic.getValue(); p++) {
        TopicPartition tp = new TopicPartition(topic.getKey(), p);
        if (taken.add(tp)) {
          result.get(fewest(eligible, result)).add(tp);
        }
      }
    }
    // 3. Balance: one partition at a time from the fullest member that has one the emptiest
    // may take, while they differ by more than one. Taking from the fullest first means no
    // member drops below its share only to be refilled later, so nothing moves needlessly.
    while (true) {
      List<String> ascending = new ArrayList<>(memberIds);
      ascending.sort((a, b) -> Integer.compare(result.get(a).size(), result.get(b).size()));
      List<String> descending = new ArrayList<>(ascending);
      java.util.Collections.reverse(descending);
      boolean moved = false;
      for (String to : ascending) {
        for (String from : descending) {
          if (result.get(from).size() - result.get(to).size() <= 1) {
            break;
          }
          TopicPartition pick = null;
          for (TopicPartition tp : result.get(from).descendingSet()) {
            if (subscriptions.get(to).contains(tp.topic())) {
              pick = tp;
              break;
            }
          }
          if (pick != null) {
            result.get(from).remove(pick);
            result.get(to).add(pick);
            moved = true;
            break;
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
    return new TreeMap<>(result);
  }

  private static String fewest(List<String> eligible, Map<String, TreeSet<TopicPartition>> result) {
    String best = eligible.get(0);
    int bestCount = result.get(best).size();
    for (String m : eligible) {
      int count = result.get(m).size();
      if (count < bestCount) {
        best = m;
        bestCount = count;
      }
    }
    return best;
  }
}
