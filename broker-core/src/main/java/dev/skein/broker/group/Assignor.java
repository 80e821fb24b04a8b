package dev.skein.broker.group;

import java.util.Map;
import java.util.Set;

/** Computes a group's target assignment on the broker. Implementations are pure and deterministic. */
public interface Assignor {

  String name();

  /**
   * @param subscriptions each member's subscribed topics (only topics that exist)
   * @param partitionCounts partitions of every subscribed topic
   * @param current each member's current target, for assignors that keep partitions where they are
   * @return every member's new target; each partition of a subscribed topic goes to exactly one
   *     member subscribed to its topic
   */
  Map<String, Set<TopicPartition>> assign(Map<String, Set<String>> subscriptions, Map<String, Integer> partitionCounts,
      Map<String, Set<TopicPartition>> current);
}
