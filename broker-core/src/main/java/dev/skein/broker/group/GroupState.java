package dev.skein.broker.group;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A group's membership and assignment: everything the coordinator writes to
 * {@code __consumer_offsets} about it (session deadlines are not kept; a new coordinator
 * starts every member's session afresh). Immutable: a change builds a new state, which takes
 * effect only once its record is replicated.
 *
 * @param groupEpoch grows when membership, subscriptions or the subscribed topics change; the
 *     target assignment is computed for it
 * @param lastMemberEpoch the last epoch given to any member (member epochs never repeat in a group)
 * @param subscribedTopics partition counts of the topics the target was computed for
 * @param emptySinceMs when the group last lost its last member; 0 while it has members
 */
public record GroupState(String groupId, int groupEpoch, int lastMemberEpoch, String assignor,
    SortedMap<String, MemberState> members, SortedMap<String, Integer> subscribedTopics, long emptySinceMs) {

  public GroupState {
    members = Collections.unmodifiableSortedMap(new TreeMap<>(members));
    subscribedTopics = Collections.unmodifiableSortedMap(new TreeMap<>(subscribedTopics));
  }

  public static GroupState empty(String groupId, long nowMs) {
    return new GroupState(groupId, 0, 0, Assignors.DEFAULT, new TreeMap<>(), new TreeMap<>(), nowMs);
  }

  public boolean isEmpty() {
    return members.isEmpty();
  }

  public boolean stable() {
    return members.values().stream().allMatch(MemberState::settled);
  }

  GroupState withMembers(Map<String, MemberState> newMembers) {
    return new GroupState(groupId, groupEpoch, lastMemberEpoch, assignor, new TreeMap<>(newMembers), subscribedTopics,
        emptySinceMs);
  }

  GroupState with(int newGroupEpoch, int newLastMemberEpoch, String newAssignor, Map<String, MemberState> newMembers,
      Map<String, Integer> newSubscribed, long newEmptySince) {
    return new GroupState(groupId, newGroupEpoch, newLastMemberEpoch, newAssignor, new TreeMap<>(newMembers),
        new TreeMap<>(newSubscribed), newEmptySince);
  }
}
