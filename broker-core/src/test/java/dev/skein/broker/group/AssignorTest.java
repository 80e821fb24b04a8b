package dev.skein.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The broker-side assignors: complete, exclusive, balanced; the uniform one sticky. */
class AssignorTest {

  static final Assignor UNIFORM = Assignors.byName("uniform").orElseThrow();
  static final Assignor RANGE = Assignors.byName("range").orElseThrow();

  @RepeatedTest(20)
  void uniformIsCompleteExclusiveBalancedAndMovesOnlyWhatItMust() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    int partitions = 1 + random.nextInt(60);
    int members = 1 + random.nextInt(12);
    Map<String, Set<String>> subs = new TreeMap<>();
    for (int m = 0; m < members; m++) {
      subs.put("m" + m, Set.of("t"));
    }
    Map<String, Set<TopicPartition>> first = UNIFORM.assign(subs, Map.of("t", partitions), Map.of());
    checkBalancedAndComplete(first, partitions, "seed " + seed);
    // One member joins: the others give up only what the newcomer needs.
    subs.put("new", Set.of("t"));
    Map<String, Set<TopicPartition>> second = UNIFORM.assign(subs, Map.of("t", partitions), first);
    checkBalancedAndComplete(second, partitions, "seed " + seed);
    int moved = 0;
    for (String m : first.keySet()) {
      Set<TopicPartition> lost = new HashSet<>(first.get(m));
      lost.removeAll(second.get(m));
      moved += lost.size();
    }
    assertThat(moved).as("partitions moved, seed %d", seed).isEqualTo(second.get("new").size());
  }

  @Test
  void uniformRespectsSubscriptions() {
    Map<String, Set<String>> subs = Map.of("a", Set.of("x", "y"), "b", Set.of("y"));
    Map<String, Set<TopicPartition>> out = UNIFORM.assign(subs, Map.of("x", 4, "y", 4), Map.of());
    assertThat(out.get("b")).allMatch(tp -> tp.topic().equals("y"));
    assertThat(out.get("a").size() + out.get("b").size()).isEqualTo(8);
    assertThat(out.get("a").size()).isEqualTo(4);
  }

  @Test
  void rangeGivesContiguousRangesPerTopic() {
    Map<String, Set<String>> subs = Map.of("a", Set.of("t"), "b", Set.of("t"), "c", Set.of("t"));
    Map<String, Set<TopicPartition>> out = RANGE.assign(subs, Map.of("t", 7), Map.of());
    assertThat(out.get("a")).extracting(TopicPartition::partition).containsExactly(0, 1, 2);
    assertThat(out.get("b")).extracting(TopicPartition::partition).containsExactly(3, 4);
    assertThat(out.get("c")).extracting(TopicPartition::partition).containsExactly(5, 6);
  }

  @Test
  void membershipRevokesBeforeAssigning() {
    Map<String, Integer> topics = Map.of("t", 4);
    GroupState s = GroupState.empty("g", 0);
    Membership.Outcome a = Membership.heartbeat(s, hb("", 0, Set.of()), topics, 1, () -> "a");
    assertThat(a.member().assigned()).hasSize(4);
    Membership.Outcome b = Membership.heartbeat(a.state(), hb("", 0, Set.of()), topics, 2, () -> "b");
    assertThat(b.member().assigned()).as("nothing is free yet").isEmpty();
    assertThat(b.member().target()).hasSize(2);
    // a hears of the revocation but has not applied it: its partitions stay held.
    int aEpoch = a.member().memberEpoch();
    Membership.Outcome a2 = Membership.heartbeat(b.state(), hb("a", aEpoch, a.member().assigned()), topics, 3, () -> "x");
    assertThat(a2.member().assigned()).hasSize(2);
    assertThat(a2.member().revoking()).hasSize(2);
    Membership.Outcome b2 = Membership.heartbeat(a2.state(), hb("b", b.member().memberEpoch(), Set.of()), topics, 4,
        () -> "x");
    assertThat(b2.member().assigned()).as("still held by a").isEmpty();
    // a applies the new epoch and reports the rest released: now b gets them.
    Membership.Outcome a3 = Membership.heartbeat(b2.state(), hb("a", a2.member().memberEpoch(), a2.member().assigned()),
        topics, 5, () -> "x");
    assertThat(a3.member().revoking()).isEmpty();
    Membership.Outcome b3 = Membership.heartbeat(a3.state(), hb("b", b2.member().memberEpoch(), Set.of()), topics, 6,
        () -> "x");
    assertThat(b3.member().assigned()).hasSize(2).doesNotContainAnyElementsOf(a3.member().assigned());
    assertThat(b3.state().stable()).isTrue();
  }

  @Test
  void aJoinSentAgainUnderTheSameMemberIdReplacesTheFirstInsteadOfAddingASecondMember() {
    Map<String, Integer> topics = Map.of("t", 4);
    GroupState s = GroupState.empty("g", 0);
    Membership.Outcome other = Membership.heartbeat(s, hb("", 0, Set.of()), topics, 1, () -> "other");
    // The first join is applied, but its answer never reaches the client, which sends it again.
    Membership.Outcome first = Membership.heartbeat(other.state(), hb("m-1", 0, Set.of()), topics, 2,
        () -> "not used");
    Membership.Outcome again = Membership.heartbeat(first.state(), hb("m-1", 0, Set.of()), topics, 3,
        () -> "not used");
    assertThat(again.state().members().keySet()).containsExactlyInAnyOrder("other", "m-1");
    assertThat(again.member().memberId()).isEqualTo("m-1");
    assertThat(again.member().target()).hasSize(2);
    // Without an id of its own, the coordinator names the member.
    assertThat(Membership.heartbeat(again.state(), hb("", 0, Set.of()), topics, 4, () -> "given").member().memberId())
        .isEqualTo("given");
  }

  private static Membership.Heartbeat hb(String id, int epoch, Set<TopicPartition> owned) {
    return new Membership.Heartbeat(id, epoch, "", List.of("t"), "", "", owned, "c", "h");
  }

  private static void checkBalancedAndComplete(Map<String, Set<TopicPartition>> out, int partitions, String why) {
    Map<TopicPartition, String> owner = new HashMap<>();
    out.forEach((m, tps) -> tps.forEach(tp -> assertThat(owner.put(tp, m)).as(why).isNull()));
    assertThat(owner).as(why).hasSize(partitions);
    int min = out.values().stream().mapToInt(Set::size).min().orElse(0);
    int max = out.values().stream().mapToInt(Set::size).max().orElse(0);
    assertThat(max - min).as(why).isLessThanOrEqualTo(1);
  }
}
