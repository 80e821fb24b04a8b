package dev.skein.broker.group;

import dev.skein.broker.BrokerException;
import dev.skein.rpc.ErrorReason;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The membership protocol as pure functions from a group state to the next one: joining,
 * heartbeating, leaving, expiring, and the incremental reconciliation of each member towards
 * its target.
 *
 * <p>Revoke before assign: a partition moves to a new member only once its old owner has
 * confirmed, with a heartbeat at its current member epoch, that it no longer owns it (or the
 * old owner was removed). A member answered with a new assignment may not have applied it when
 * it next heartbeats, which is why a revocation counts only when the member reports the epoch
 * of the assignment that left the partition out.
 */
public final class Membership {

  /** What one heartbeat says. {@code owned} is what the member owns after applying {@code memberEpoch}'s assignment. */
  public record Heartbeat(String memberId, int memberEpoch, String instanceId, List<String> topics, String regex,
      String assignor, Set<TopicPartition> owned, String clientId, String clientHost) {}

  /** The next state and the member's entry in it (null when it left). */
  public record Outcome(GroupState state, MemberState member) {}

  public static final int LEAVE_EPOCH = -1;
  public static final int STATIC_LEAVE_EPOCH = -2;

  private Membership() {}

  /**
   * Applies a heartbeat.
   *
   * @param topics partition counts of every topic that exists and is not internal
   */
  public static Outcome heartbeat(GroupState state, Heartbeat hb, Map<String, Integer> topics, long nowMs,
      Supplier<String> newMemberId) {
    Map<String, MemberState> members = new TreeMap<>(state.members());
    boolean membershipChanged = false;
    int lastEpoch = state.lastMemberEpoch();
    String memberId;
    if (hb.memberEpoch() == 0) {
      // A client that names itself keeps its id across joins, so a join whose answer was lost
      // and is sent again replaces the entry it created instead of leaving it behind, holding
      // partitions until its session times out. A client that does not is given an id.
      memberId = hb.memberId().isEmpty() ? newMemberId.get() : hb.memberId();
      MemberState previous = hb.instanceId().isEmpty() ? null : members.values().stream()
          .filter(m -> m.instanceId().equals(hb.instanceId())).findFirst().orElse(null);
      if (!hb.memberId().isEmpty() && members.containsKey(hb.memberId())
          && (previous == null || !previous.memberId().equals(hb.memberId()))) {
        // The same client joining afresh: its old incarnation owns nothing any more.
        members.remove(hb.memberId());
        membershipChanged = true;
      }
      if (previous != null) {
        // A static member coming back takes over its old entry and partitions; the old
        // incarnation is gone, so what it was revoking is released.
        members.remove(previous.memberId());
        lastEpoch++;
        MemberState taken = previous.withClient(memberId, hb.clientId(), hb.clientHost(), hb.topics(), hb.regex(),
            hb.assignor()).withDeparted(false).withAssignment(lastEpoch, previous.assigned(), Set.of());
        members.put(memberId, taken);
        membershipChanged |= !sameSubscription(previous, hb);
      } else {
        members.put(memberId, new MemberState(memberId, hb.instanceId(), hb.clientId(), hb.clientHost(), 0,
            hb.topics(), hb.regex(), hb.assignor(), Set.of(), Set.of(), Set.of(), false));
        membershipChanged = true;
      }
    } else {
      memberId = hb.memberId();
      MemberState m = members.get(memberId);
      if (m == null || m.departed()) {
        throw BrokerException.of(ErrorReason.UNKNOWN_MEMBER_ID, "group '" + state.groupId() + "' has no member '"
            + memberId + "' (it left, or was removed after its session timed out); join again with member_epoch 0",
            Map.of("group_id", state.groupId()));
      }
      if (hb.memberEpoch() > m.memberEpoch()) {
        throw BrokerException.of(ErrorReason.FENCED_MEMBER_EPOCH, "member '" + memberId + "' of group '"
            + state.groupId() + "' sent epoch " + hb.memberEpoch() + " but was only given up to " + m.memberEpoch(),
            Map.of("group_id", state.groupId(), "member_epoch", Integer.toString(m.memberEpoch())));
      }
      if (hb.memberEpoch() == LEAVE_EPOCH || (hb.memberEpoch() == STATIC_LEAVE_EPOCH && !m.isStatic())) {
        members.remove(memberId);
        GroupState next = retarget(state, members, lastEpoch, topics, nowMs, true);
        return new Outcome(next, null);
      }
      if (hb.memberEpoch() == STATIC_LEAVE_EPOCH) {
        members.put(memberId, m.withDeparted(true));
        return new Outcome(state.withMembers(members), null);
      }
      boolean subscriptionChanged = !sameSubscription(m, hb);
      if (hb.memberEpoch() == m.memberEpoch() && !m.revoking().isEmpty()) {
        Set<TopicPartition> stillOwned = new TreeSet<>(m.revoking());
        stillOwned.retainAll(hb.owned());
        m = m.withRevoking(stillOwned);
      }
      m = m.withClient(memberId, hb.clientId(), m.clientHost(), hb.topics(), hb.regex(), hb.assignor());
      members.put(memberId, m);
      membershipChanged = subscriptionChanged;
    }
    GroupState next = retarget(state, members, lastEpoch, topics, nowMs, membershipChanged);
    next = reconcile(next, memberId);
    return new Outcome(next, next.members().get(memberId));
  }

  /** Removes members (left, or silent past their session timeout); their partitions are free at once. */
  public static GroupState remove(GroupState state, Collection<String> memberIds, Map<String, Integer> topics,
      long nowMs) {
    Map<String, MemberState> members = new TreeMap<>(state.members());
    boolean changed = members.keySet().removeAll(Set.copyOf(memberIds));
    return changed ? retarget(state, members, state.lastMemberEpoch(), topics, nowMs, true) : state;
  }

  /**
   * Bumps the group epoch and computes new targets when membership or subscriptions changed,
   * or the subscribed topics did (a new partition, a new topic matching a pattern).
   */
  static GroupState retarget(GroupState state, Map<String, MemberState> members, int lastEpoch,
      Map<String, Integer> topics, long nowMs, boolean membershipChanged) {
    Map<String, Set<String>> subscriptions = new TreeMap<>();
    Map<String, Integer> subscribed = new TreeMap<>();
    for (MemberState m : members.values()) {
      Set<String> resolved = resolve(m, topics);
      subscriptions.put(m.memberId(), resolved);
      resolved.forEach(t -> subscribed.put(t, topics.get(t)));
    }
    String assignorName = chooseAssignor(members.values());
    long emptySince = members.isEmpty() ? (state.members().isEmpty() ? state.emptySinceMs() : nowMs) : 0;
    if (!membershipChanged && subscribed.equals(state.subscribedTopics()) && assignorName.equals(state.assignor())) {
      return state.with(state.groupEpoch(), lastEpoch, assignorName, members, subscribed, emptySince);
    }
    Map<String, Set<TopicPartition>> current = new HashMap<>();
    members.values().forEach(m -> current.put(m.memberId(), m.target()));
    Map<String, Set<TopicPartition>> targets = Assignors.byName(assignorName).orElseThrow()
        .assign(subscriptions, subscribed, current);
    Map<String, MemberState> retargeted = new TreeMap<>();
    members.forEach((id, m) -> retargeted.put(id, m.withTarget(targets.getOrDefault(id, Set.of()))));
    return state.with(state.groupEpoch() + 1, lastEpoch, assignorName, retargeted, subscribed, emptySince);
  }

  /**
   * Moves one member towards its target: partitions outside the target are taken away (and
   * held as revoking until the member confirms), partitions of the target that nobody else
   * holds are given. The member epoch changes whenever the assignment does.
   */
  static GroupState reconcile(GroupState state, String memberId) {
    MemberState m = state.members().get(memberId);
    Set<TopicPartition> heldByOthers = new HashSet<>();
    state.members().values().forEach(o -> {
      if (!o.memberId().equals(memberId)) {
        heldByOthers.addAll(o.held());
      }
    });
    Set<TopicPartition> assigned = new TreeSet<>(m.assigned());
    Set<TopicPartition> revoking = new TreeSet<>(m.revoking());
    for (TopicPartition tp : m.assigned()) {
      if (!m.target().contains(tp)) {
        assigned.remove(tp);
        revoking.add(tp);
      }
    }
    for (TopicPartition tp : m.target()) {
      if (!assigned.contains(tp) && !revoking.contains(tp) && !heldByOthers.contains(tp)) {
        assigned.add(tp);
      }
    }
    if (assigned.equals(m.assigned()) && revoking.equals(m.revoking()) && m.memberEpoch() > 0) {
      return state;
    }
    int epoch = state.lastMemberEpoch() + 1;
    Map<String, MemberState> members = new TreeMap<>(state.members());
    members.put(memberId, m.withAssignment(epoch, assigned, revoking));
    return state.with(state.groupEpoch(), epoch, state.assignor(), members, state.subscribedTopics(),
        state.emptySinceMs());
  }

  /** The topics a member's subscription names that exist, plus those its pattern matches. */
  static Set<String> resolve(MemberState m, Map<String, Integer> topics) {
    Set<String> out = new TreeSet<>();
    for (String t : m.topics()) {
      if (topics.containsKey(t)) {
        out.add(t);
      }
    }
    if (!m.regex().isEmpty()) {
      Pattern pattern = Pattern.compile(m.regex());
      for (String t : topics.keySet()) {
        if (pattern.matcher(t).matches()) {
          out.add(t);
        }
      }
    }
    return out;
  }

  /** The assignor most members name (the default breaks ties, then the name's order). */
  static String chooseAssignor(Collection<MemberState> members) {
    Map<String, Integer> votes = new TreeMap<>();
    for (MemberState m : members) {
      votes.merge(m.assignor().isEmpty() ? Assignors.DEFAULT : m.assignor(), 1, Integer::sum);
    }
    String best = Assignors.DEFAULT;
    int bestVotes = votes.getOrDefault(best, 0);
    for (Map.Entry<String, Integer> e : votes.entrySet()) {
      if (e.getValue() > bestVotes) {
        best = e.getKey();
        bestVotes = e.getValue();
      }
    }
    return best;
  }

  private static boolean sameSubscription(MemberState m, Heartbeat hb) {
    return m.topics().equals(hb.topics()) && m.regex().equals(hb.regex()) && m.assignor().equals(hb.assignor());
  }
}
