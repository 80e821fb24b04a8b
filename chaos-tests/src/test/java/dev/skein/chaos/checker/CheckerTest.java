package dev.skein.chaos.checker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.chaos.checker.Anomaly.Kind;
import dev.skein.chaos.history.Op;
import dev.skein.chaos.history.Op.F;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Hand-made histories: a clean one passes, and each planted anomaly is found (and only it). */
class CheckerTest {

  /** Builds a history with a clock that ticks one millisecond per operation. */
  static final class History {
    final List<Op> ops = new ArrayList<>();
    long time;

    long tick() {
      return time += 1_000;
    }

    History sent(String process, int partition, long offset, String value) {
      ops.add(Op.invoke(F.SEND, process, tick(), partition, value));
      ops.add(Op.ok(F.SEND, process, tick(), partition, offset, value));
      return this;
    }

    History sendFailed(String process, int partition, String value) {
      ops.add(Op.invoke(F.SEND, process, tick(), partition, value));
      ops.add(Op.fail(F.SEND, process, tick(), partition, value, "NOT_ENOUGH_REPLICAS"));
      return this;
    }

    History sendUnknown(String process, int partition, String value) {
      ops.add(Op.invoke(F.SEND, process, tick(), partition, value));
      ops.add(Op.info(F.SEND, process, tick(), partition, value, "DEADLINE_EXCEEDED"));
      return this;
    }

    History read(String process, int partition, long offset, String value) {
      ops.add(Op.ok(F.READ, process, tick(), partition, offset, value));
      return this;
    }

    History op(Op op) {
      ops.add(op);
      return this;
    }

    /** A record a member of group "g" was given. */
    History groupRead(String process, int partition, long offset, String value) {
      ops.add(Op.ok(F.READ, process, tick(), partition, offset, value).withGroup("g"));
      return this;
    }

    /** A commit of group "g" the coordinator confirmed. */
    History committed(String process, int partition, long offset) {
      ops.add(Op.ok(F.COMMIT, process, tick(), partition, offset, null).withGroup("g"));
      return this;
    }

    History assigned(String process, int partition) {
      ops.add(Op.ok(F.ASSIGNED, process, tick(), partition, null, null).withGroup("g"));
      return this;
    }

    History revoked(String process, int partition) {
      ops.add(Op.ok(F.REVOKED, process, tick(), partition, null, null).withGroup("g"));
      return this;
    }

    /** A group's commit late in the run, so a history about something else passes the group's liveness check. */
    History groupStillCommits() {
      ops.add(Op.ok(F.COMMIT, "g-live", tick(), 99, 1L, null).withGroup("g"));
      return this;
    }

    History heal() {
      return healOnly().leaders(Duration.ofMillis(1));
    }

    long healTime;

    /** The final heal alone: the harness's brokers-up and leaders ops follow, at times after it. */
    History healOnly() {
      healTime = tick();
      ops.add(Op.info(F.HEAL, "nemesis", healTime, null, "all healed", null));
      return this;
    }

    History brokersUp(Duration afterHeal) {
      time = healTime + afterHeal.toNanos() / 1000;
      ops.add(Op.info(F.BROKERS_UP, "nemesis", time, null, "every broker answers over gRPC", null));
      return this;
    }

    History leaders(Duration afterHeal) {
      time = healTime + afterHeal.toNanos() / 1000;
      ops.add(Op.info(F.LEADERS, "nemesis", time, null, "every partition has a leader", null));
      return this;
    }

    History drain(String... partitionOffsetValue) {
      ops.add(Op.invoke(F.DRAIN, "drain", tick(), null, null));
      for (String pov : partitionOffsetValue) {
        String[] parts = pov.split(":");
        ops.add(Op.ok(F.DRAIN_READ, "drain", tick(), Integer.parseInt(parts[0]), Long.parseLong(parts[1]), parts[2]));
      }
      ops.add(Op.ok(F.DRAIN, "drain", tick(), null, null, null));
      return this;
    }

    CheckResult check() {
      return new Checker().check(ops);
    }
  }

  /** Two partitions, a fault and its heal, writes and reads on both sides of it, a full drain. */
  static History clean() {
    return cleanHealed(History::heal);
  }

  /** {@link #clean()} with the heal and what the harness records after it given by {@code healing}. */
  static History cleanHealed(UnaryOperator<History> healing) {
    History before = new History()
        .sent("p0", 0, 0, "a").sent("p0", 1, 0, "b").read("c0", 0, 0, "a")
        .sendUnknown("p0", 0, "u")          // unknown outcome, here it did land
        .sendFailed("p0", 1, "f")           // definitely not stored
        .read("c0", 0, 1, "u").read("c0", 1, 0, "b");
    return healing.apply(before)
        .sent("p1", 0, 2, "c").sent("p1", 1, 1, "d")
        .read("c0", 0, 2, "c").read("c0", 1, 1, "d")
        .drain("0:0:a", "0:1:u", "0:2:c", "1:0:b", "1:1:d");
  }

  private static List<Kind> kinds(CheckResult result) {
    return result.anomalies().stream().map(Anomaly::kind).distinct().toList();
  }

  @Test
  void cleanHistoryPasses() {
    CheckResult result = clean().check();
    assertThat(result.anomalies()).isEmpty();
    assertThat(result.counts().sendsOk()).isEqualTo(4);
    assertThat(result.counts().sendsFailed()).isEqualTo(1);
    assertThat(result.counts().sendsUnknown()).isEqualTo(1);
    assertThat(result.recoveryMicros()).isPresent();
  }

  @Test
  void lostWriteAndUnseen() {
    // "x" acknowledged at offset 3, nobody ever read it, but offset 4 was read.
    History h = new History().sent("p0", 0, 0, "a").sent("p0", 0, 1, "x").sent("p0", 0, 2, "b")
        .read("c0", 0, 0, "a").heal().sent("p0", 0, 3, "c").read("c0", 0, 3, "c")
        .drain("0:0:a", "0:3:c");
    CheckResult result = h.check();
    assertThat(result.anomalies()).filteredOn(a -> a.kind() == Kind.LOST_WRITE)
        .extracting(Anomaly::detail).anyMatch(d -> d.startsWith("value x acknowledged at offset 1 never read"));
    assertThat(result.anomalies()).filteredOn(a -> a.kind() == Kind.UNSEEN)
        .extracting(Anomaly::detail).anyMatch(d -> d.startsWith("value x"));
  }

  @Test
  void unseenOnlyWhenNothingLaterWasRead() {
    CheckResult result = new History().sent("p0", 0, 0, "a").read("c0", 0, 0, "a").heal()
        .sent("p0", 0, 1, "z").read("c0", 0, 0, "a").op(Op.info(F.ASSIGN, "c0", 0, null, null, null))
        .drain("0:0:a").check();
    // "z" is the last write: not a lost write (nothing after it was read), but the drain lacks it.
    assertThat(kinds(result)).contains(Kind.UNSEEN).doesNotContain(Kind.LOST_WRITE);
  }

  @Test
  void duplicate() {
    History h = clean();
    h.ops.add(h.ops.size() - 1, Op.ok(F.DRAIN_READ, "drain", h.tick(), 0, 3L, "a"));
    assertThat(kinds(h.check())).containsExactly(Kind.DUPLICATE);
  }

  @Test
  void inconsistentOffsets() {
    History h = clean().read("c1", 1, 1, "other");
    assertThat(kinds(h.check())).contains(Kind.INCONSISTENT_OFFSET, Kind.NEVER_SENT, Kind.VISIBLE_THEN_MISSING);
    assertThat(h.check().anomalies()).filteredOn(a -> a.kind() == Kind.INCONSISTENT_OFFSET)
        .extracting(Anomaly::detail).contains("offset 1 read with values [d, other]");
  }

  @Test
  void nonMonotonicReadWithinOneConsumer() {
    History h = clean().read("c0", 0, 1, "u");
    assertThat(kinds(h.check())).containsExactly(Kind.NON_MONOTONIC_READ);
    // After it re-seeks (a restart), going back is fine.
    History restarted = clean().op(Op.info(F.ASSIGN, "c0", 0, null, null, null)).read("c0", 0, 1, "u");
    assertThat(restarted.check().anomalies()).isEmpty();
  }

  @Test
  void aGroupMemberMayReadAgainOnlyAfterThePartitionIsAssignedAgain() {
    Op assigned = Op.ok(F.ASSIGNED, "g0", 0, 0, null, null).withGroup("g");
    Op revoked = Op.ok(F.REVOKED, "g0", 0, 0, null, null).withGroup("g");
    History reassigned = clean().op(assigned).read("g0", 0, 0, "a").read("g0", 0, 1, "u")
        .op(revoked).op(assigned).read("g0", 0, 1, "u").read("g0", 0, 2, "c").groupStillCommits();
    assertThat(reassigned.check().anomalies()).isEmpty();

    History backwards = clean().op(assigned).read("g0", 0, 1, "u").read("g0", 0, 0, "a").groupStillCommits();
    assertThat(kinds(backwards.check())).containsExactly(Kind.NON_MONOTONIC_READ);
  }

  @Test
  void readOfAFailedWrite() {
    History h = clean();
    h.ops.add(h.ops.size() - 1, Op.ok(F.DRAIN_READ, "drain", h.tick(), 1, 2L, "f"));
    assertThat(kinds(h.check())).containsExactly(Kind.READ_OF_FAILED_WRITE);
  }

  @Test
  void valueNeverSent() {
    History h = clean();
    h.ops.add(h.ops.size() - 1, Op.ok(F.DRAIN_READ, "drain", h.tick(), 1, 2L, "ghost"));
    assertThat(kinds(h.check())).containsExactly(Kind.NEVER_SENT);
  }

  @Test
  void visibleThenMissing() {
    // "b" was read at partition 1 offset 0; the final drain does not have it there.
    History h = new History().sent("p0", 1, 0, "b").read("c0", 1, 0, "b").heal().sent("p0", 1, 1, "d")
        .read("c0", 1, 1, "d").drain("1:1:d");
    CheckResult result = h.check();
    assertThat(kinds(result)).contains(Kind.VISIBLE_THEN_MISSING, Kind.UNSEEN);
    assertThat(result.anomalies()).filteredOn(a -> a.kind() == Kind.VISIBLE_THEN_MISSING)
        .extracting(Anomaly::detail).containsExactly("value b read at offset 0 by c0, final drain has nothing there");
  }

  @Test
  void committedOffsetGoingBackwards() {
    History h = clean()
        .op(Op.ok(F.COMMIT, "g0", 1, 0, 5L, null).withGroup("g"))
        .op(Op.ok(F.COMMIT, "g1", 2, 0, 7L, null).withGroup("g"))
        .op(Op.ok(F.COMMIT, "g0", 3, 1, 3L, null).withGroup("g"))   // another partition: fine
        .op(Op.ok(F.COMMIT, "g1", 4, 0, 6L, null).withGroup("g")).groupStillCommits();
    CheckResult result = h.check();
    assertThat(kinds(result)).containsExactly(Kind.COMMIT_BACKWARDS);
    assertThat(result.anomalies().get(0).detail()).isEqualTo("group g committed 6 (by g1) after 7");
  }

  @Test
  void partitionOwnedByTwoMembers() {
    History handedOver = clean()
        .op(Op.ok(F.ASSIGNED, "g0", 1, 0, null, null).withGroup("g"))
        .op(Op.ok(F.REVOKED, "g0", 2, 0, null, null).withGroup("g"))
        .op(Op.ok(F.ASSIGNED, "g1", 3, 0, null, null).withGroup("g"))
        .op(Op.info(F.CRASH, "g1", 4, null, null, null))
        .op(Op.ok(F.ASSIGNED, "g2", 5, 0, null, null).withGroup("g")).groupStillCommits();
    assertThat(handedOver.check().anomalies()).isEmpty();

    // g1 is assigned p0 while g0 still holds it, and g0 then reads it: both acted as its owner.
    History twice = clean()
        .op(Op.ok(F.ASSIGNED, "g0", 1, 0, null, null).withGroup("g"))
        .op(Op.ok(F.ASSIGNED, "g1", 2, 0, null, null).withGroup("g"))
        .groupRead("g0", 0, 2, "c").groupStillCommits();
    assertThat(kinds(twice.check())).containsExactly(Kind.DOUBLE_OWNERSHIP);
  }

  /**
   * The majority split of docs/chaos-findings.md §2: the coordinator gives p0 to g1 while g0 is cut
   * off; g0 hears it was fenced only later. {@code middle} is what g0 does in between.
   */
  static History reassignedWhileCutOff(UnaryOperator<History> middle) {
    History h = new History()
        .sent("p0", 0, 0, "a").sent("p0", 0, 1, "a2").sent("p0", 1, 0, "b")
        .assigned("g0", 0).assigned("g0", 1)
        .groupRead("g0", 0, 0, "a").committed("g0", 0, 1)
        .assigned("g1", 0);
    return middle.apply(h)
        .revoked("g0", 0)
        .heal().sent("p1", 0, 2, "c").sent("p1", 1, 1, "d")
        .groupRead("g1", 0, 1, "a2").groupRead("g1", 0, 2, "c").committed("g1", 0, 3)
        .drain("0:0:a", "0:1:a2", "0:2:c", "1:0:b", "1:1:d");
  }

  @Test
  void overlappingCallbacksAloneAreNoDoubleOwnership() {
    assertThat(reassignedWhileCutOff(h -> h).check().anomalies()).isEmpty();
    // Reading a partition it still owns is fine too.
    assertThat(reassignedWhileCutOff(h -> h.groupRead("g0", 1, 0, "b")).check().anomalies()).isEmpty();
  }

  @Test
  void oldOwnerReadingAfterTheReassignmentIsDoubleOwnership() {
    CheckResult result = reassignedWhileCutOff(h -> h.groupRead("g0", 0, 1, "a2")).check();
    assertThat(kinds(result)).containsExactly(Kind.DOUBLE_OWNERSHIP);
    assertThat(result.anomalies().get(0).detail())
        .isEqualTo("group g: g0 read offset 1 1 ms after g1 was assigned the partition and before g0's own revocation");
  }

  @Test
  void oldOwnerCommittingAfterTheReassignmentIsDoubleOwnership() {
    CheckResult result = reassignedWhileCutOff(h -> h.committed("g0", 0, 2)).check();
    assertThat(kinds(result)).containsExactly(Kind.DOUBLE_OWNERSHIP);
    assertThat(result.anomalies().get(0).detail()).startsWith("group g: g0 committed offset 2 ");
  }

  @Test
  void oldOwnersFailedOrUnknownCommitIsNoDoubleOwnership() {
    History failed = reassignedWhileCutOff(h -> h.op(
        Op.fail(F.COMMIT, "g0", h.tick(), 0, null, "UNKNOWN_MEMBER_ID").withGroup("g")));
    assertThat(failed.check().anomalies()).isEmpty();
    History unknown = reassignedWhileCutOff(h -> h.op(
        Op.info(F.COMMIT, "g0", h.tick(), 0, null, "DEADLINE_EXCEEDED").withGroup("g")));
    assertThat(unknown.check().anomalies()).isEmpty();
  }

  @Test
  void aReadTimedBeforeTheReassignmentButWrittenAfterItIsNoDoubleOwnership() {
    // Ops are timed, then appended: g0's read can land after g1's assignment with an earlier time.
    History h = reassignedWhileCutOff(m -> m.op(Op.ok(F.READ, "g0", m.time - 500, 0, 1L, "a2").withGroup("g")));
    assertThat(h.check().anomalies()).isEmpty();
  }

  @Test
  void noLeaderWithinThirtySecondsOfTheHeal() {
    History late = clean();
    late.ops.removeIf(op -> op.f().equals(F.LEADERS));
    late.ops.add(Op.info(F.LEADERS, "nemesis", late.tick() + 31_000_000, null, null, null));
    assertThat(kinds(late.check())).containsExactly(Kind.NO_LEADER_AFTER_HEAL);

    History never = clean();
    never.ops.removeIf(op -> op.f().equals(F.LEADERS));
    assertThat(kinds(never.check())).containsExactly(Kind.NO_LEADER_AFTER_HEAL);
  }

  @Test
  void theLeaderDeadlineCountsFromWhenEveryBrokerAnswersAgain() {
    // Containers restarted at the heal, every JVM listening 14 s later, leaders 26 s after that.
    CheckResult inTime = cleanHealed(h -> h.healOnly().brokersUp(Duration.ofSeconds(14))
        .leaders(Duration.ofSeconds(40))).check();
    assertThat(inTime.anomalies()).isEmpty();
    assertThat(inTime.leadersMicros()).hasValue(40_000_000L);   // the report's number is still from the heal

    CheckResult late = cleanHealed(h -> h.healOnly().brokersUp(Duration.ofSeconds(14))
        .leaders(Duration.ofSeconds(50))).check();
    assertThat(kinds(late)).containsExactly(Kind.NO_LEADER_AFTER_HEAL);
    assertThat(late.anomalies().get(0).detail()).isEqualTo(
        "every partition had a leader only 36000 ms after every broker answered again (14000 ms after the heal)");
  }

  @Test
  void withoutBrokersUpTheLeaderDeadlineCountsFromTheHeal() {
    CheckResult late = cleanHealed(h -> h.healOnly().leaders(Duration.ofSeconds(40))).check();
    assertThat(kinds(late)).containsExactly(Kind.NO_LEADER_AFTER_HEAL);
    assertThat(late.anomalies().get(0).detail()).isEqualTo("every partition had a leader only 40000 ms after the heal");
    assertThat(cleanHealed(h -> h.healOnly().leaders(Duration.ofSeconds(29))).check().anomalies()).isEmpty();
  }

  /**
   * A send and a group commit that succeed between the heal and brokers-up, and nothing after:
   * with brokers-up that is no progress; without it (an older history) it is, as before.
   */
  @Test
  void progressCountsFromWhenEveryBrokerAnswersAgain() {
    UnaryOperator<History> history = h -> h.assigned("g0", 0).groupRead("g0", 0, 0, "a").healOnly()
        .sent("p1", 0, 1, "b").committed("g0", 0, 1);
    History withUp = history.apply(new History().sent("p0", 0, 0, "a"))
        .brokersUp(Duration.ofSeconds(14)).leaders(Duration.ofSeconds(15))
        .sendUnknown("p1", 0, "c").groupRead("g0", 0, 1, "b").drain("0:0:a", "0:1:b");
    CheckResult result = withUp.check();
    assertThat(kinds(result)).containsExactly(Kind.NO_PROGRESS);
    assertThat(result.anomalies()).extracting(Anomaly::detail).containsExactly(
        "no send invoked after every broker answered again (14000 ms after the heal) succeeded",
        "no group member committed anything after every broker answered again (14000 ms after the heal)");

    History withoutUp = history.apply(new History().sent("p0", 0, 0, "a")).leaders(Duration.ofSeconds(15))
        .sendUnknown("p1", 0, "c").groupRead("g0", 0, 1, "b").drain("0:0:a", "0:1:b");
    assertThat(withoutUp.check().anomalies()).isEmpty();
  }

  @Test
  void noProgressAfterTheHeal() {
    History h = new History().sent("p0", 0, 0, "a").read("c0", 0, 0, "a").heal()
        .sendUnknown("p0", 0, "b").drain("0:0:a");
    assertThat(kinds(h.check())).containsExactly(Kind.NO_PROGRESS);
  }

  @Test
  void aGroupThatNeverCommitsAfterTheHealIsReported() {
    Op assigned = Op.ok(F.ASSIGNED, "g0", 1, 0, null, null).withGroup("g");
    History stalled = new History().op(assigned).sent("p0", 0, 0, "a").read("g0", 0, 0, "a")
        .op(Op.ok(F.COMMIT, "g0", 2_500, 0, 1L, null).withGroup("g"))
        .heal().sent("p1", 0, 1, "b").read("c0", 0, 1, "b").drain("0:0:a", "0:1:b");
    CheckResult result = stalled.check();
    assertThat(kinds(result)).containsExactly(Kind.NO_PROGRESS);
    assertThat(result.anomalies().get(0).detail()).isEqualTo("no group member committed anything after the heal");

    History committing = new History().op(assigned).sent("p0", 0, 0, "a").read("g0", 0, 0, "a").heal()
        .sent("p1", 0, 1, "b").read("g0", 0, 1, "b");
    committing.op(Op.ok(F.COMMIT, "g0", committing.tick(), 0, 2L, null).withGroup("g")).drain("0:0:a", "0:1:b");
    assertThat(committing.check().anomalies()).isEmpty();
  }

  @Test
  void aDrainThatNeverFinishedIsReported() {
    History h = clean();
    h.ops.removeIf(op -> op.f().equals(F.DRAIN) && op.type() == Op.Type.ok);
    assertThat(kinds(h.check())).containsExactly(Kind.DRAIN_INCOMPLETE);
  }
}
