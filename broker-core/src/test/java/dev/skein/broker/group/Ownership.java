package dev.skein.broker.group;

import dev.skein.client.TopicPartition;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Who owns which partition, as the members' own rebalance listeners report it. Any partition
 * assigned to a member while another still owns it is recorded as a violation.
 */
final class Ownership {

  private final Map<TopicPartition, String> owners = new ConcurrentHashMap<>();
  final List<String> violations = new CopyOnWriteArrayList<>();
  final List<String> events = new CopyOnWriteArrayList<>();

  void assigned(String member, TopicPartition tp) {
    events.add(member + " +" + tp);
    String previous = owners.putIfAbsent(tp, member);
    if (previous != null && !previous.equals(member)) {
      violations.add(tp + " assigned to " + member + " while " + previous + " owned it");
    }
  }

  void released(String member, TopicPartition tp) {
    events.add(member + " -" + tp);
    owners.remove(tp, member);
  }

  /** Forgets a member that died without releasing (its partitions are free once the coordinator removes it). */
  void forget(String member) {
    owners.values().removeIf(member::equals);
  }

  Map<TopicPartition, String> owners() {
    return Map.copyOf(owners);
  }
}
