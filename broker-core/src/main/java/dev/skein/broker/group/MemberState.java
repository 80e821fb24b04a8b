package dev.skein.broker.group;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One member as the coordinator knows it. {@code assigned} is what the member was told it may
 * own; {@code revoking} what was taken from it and not yet confirmed given up (nobody else gets
 * those until then); {@code target} what the assignor wants it to have.
 *
 * @param memberEpoch the epoch of {@code assigned}: it changes whenever {@code assigned} does
 * @param departed a static member that left for a restart; it keeps its partitions until its
 *     session times out or a member with its instance id joins
 */
public record MemberState(String memberId, String instanceId, String clientId, String clientHost, int memberEpoch,
    List<String> topics, String regex, String assignor, Set<TopicPartition> assigned,
    Set<TopicPartition> revoking, Set<TopicPartition> target, boolean departed) {

  public MemberState {
    Objects.requireNonNull(memberId);
    instanceId = instanceId == null ? "" : instanceId;
    topics = List.copyOf(topics);
    regex = regex == null ? "" : regex;
    assigned = frozen(assigned);
    revoking = frozen(revoking);
    target = frozen(target);
  }

  static SortedSet<TopicPartition> frozen(Set<TopicPartition> set) {
    return java.util.Collections.unmodifiableSortedSet(new TreeSet<>(set));
  }

  /** Partitions nobody else may be given: assigned, or taken away but not yet confirmed released. */
  public Set<TopicPartition> held() {
    Set<TopicPartition> all = new TreeSet<>(assigned);
    all.addAll(revoking);
    return all;
  }

  public boolean isStatic() {
    return !instanceId.isEmpty();
  }

  /** Whether the member owns its whole target and has nothing left to give up. */
  public boolean settled() {
    return revoking.isEmpty() && assigned.equals(target);
  }

  MemberState withAssignment(int epoch, Set<TopicPartition> newAssigned, Set<TopicPartition> newRevoking) {
    return new MemberState(memberId, instanceId, clientId, clientHost, epoch, topics, regex, assignor,
        new TreeSet<>(newAssigned), new TreeSet<>(newRevoking), target, departed);
  }

  MemberState withTarget(Set<TopicPartition> newTarget) {
    return new MemberState(memberId, instanceId, clientId, clientHost, memberEpoch, topics, regex, assignor, assigned,
        revoking, new TreeSet<>(newTarget), departed);
  }

  MemberState withRevoking(Set<TopicPartition> newRevoking) {
    return new MemberState(memberId, instanceId, clientId, clientHost, memberEpoch, topics, regex, assignor, assigned,
        new TreeSet<>(newRevoking), target, departed);
  }

  MemberState withDeparted(boolean value) {
    return new MemberState(memberId, instanceId, clientId, clientHost, memberEpoch, topics, regex, assignor, assigned,
        revoking, target, value);
  }

  MemberState withClient(String newMemberId, String newClientId, String newClientHost, List<String> newTopics,
      String newRegex, String newAssignor) {
    return new MemberState(newMemberId, instanceId, newClientId, newClientHost, memberEpoch, newTopics, newRegex,
        newAssignor, assigned, revoking, target, departed);
  }
}
