package dev.skein.broker.group;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Kafka's range assignment: per topic, the members subscribed to it in member id order each
 * get a contiguous range of partitions, the first ones one extra when the count does not
 * divide. Members with the same subscriptions get the same partition numbers of every topic
 * (useful for joins). Not sticky.
 */
final class RangeAssignor implements Assignor {

  static final String NAME = "range";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Set<TopicPartition>> assign(Map<String, Set<String>> subscriptions,
      Map<String, Integer> partitionCounts, Map<String, Set<TopicPartition>> current) {
    Map<String, Set<TopicPartition>> result = new TreeMap<>();
    subscriptions.keySet().forEach(m -> result.put(m, new TreeSet<>()));
    for (Map.Entry<String, Integer> topic : new TreeMap<>(partitionCounts).entrySet()) {
      List<String> members = new ArrayList<>();
      for (String m : new TreeSet<>(subscriptions.keySet())) {
        if (subscriptions.get(m).contains(topic.getKey())) {
          members.add(m);
        }
      }
      if (members.isEmpty()) {
        continue;
      }
      int per = topic.getValue() / members.size();
      int extra = topic.getValue() % members.size();
      int next = 0;
      for (int i = 0; i < members.size(); i++) {
        int count = per + (i < extra ? 1 : 0);
        for (int p = next; p < next + count; p++) {
          result.get(members.get(i)).add(new TopicPartition(topic.getKey(), p));
        }
        next += count;
      }
    }
    return result;
  }
}
