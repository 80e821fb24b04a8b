package dev.skein.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.chaos.cluster.DockerCluster;
import dev.skein.chaos.history.Op;
import dev.skein.chaos.workload.Workload;
import dev.skein.client.PartitionInfo;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Scripted runs for the failure classes public analyses found in Kafka-like systems. Each
 * targets partition 0 at a chosen moment instead of a random schedule, and must end with zero
 * anomalies. Tagged "long": part of the long matrix, not of CI's smoke tier.
 */
@Tag("docker")
@Tag("long")
class HistoricalBugScenariosTest {

  private static final Duration RUN = Duration.ofSeconds(45);

  private static void assertClean(ChaosRun.Result result) {
    assertThat(result.check().anomalies()).as(result.summary() + "\nhistory: " + result.history()).isEmpty();
  }

  private static PartitionInfo partition0(DockerCluster cluster) {
    return cluster.describe(ChaosRun.TOPIC).partition(0);
  }

  private static void window(ChaosRun.Context ctx, String what, Runnable fault, Duration hold, Runnable heal) {
    ctx.history().append(new Op(Op.Type.invoke, Op.F.FAULT, "nemesis", ctx.history().now(), 0, null, what, null,
        null));
    fault.run();
    ctx.pause(hold);
    heal.run();
    ctx.history().append(new Op(Op.Type.ok, Op.F.FAULT, "nemesis", ctx.history().now(), 0, null, what, null, null));
  }

  /**
   * Kafka 0.8 (Jepsen): the ISR shrinks to the leader alone, the leader dies, and a stale
   * replica is elected. With min.insync.replicas=2 the lone leader must refuse acks=all writes,
   * and no out-of-sync replica may take over.
   */
  @Test
  void isrShrinksToTheLeaderThenTheLeaderDies() {
    assertClean(ChaosRun.run(ChaosConfig.fromSystemProperties().withDuration(RUN), "scenario-isr-shrink", ctx -> {
      ctx.pause(Duration.ofSeconds(5));
      PartitionInfo p = partition0(ctx.cluster());
      List<Integer> followers = p.replicas().stream().filter(id -> id != p.leader()).toList();
      window(ctx, "followers " + followers + " cut off from leader " + p.leader() + " until the ISR shrinks",
          () -> ctx.cluster().dropTraffic(p.leader(), followers, false), Duration.ofSeconds(15), () -> { });
      window(ctx, "then kill -9 of leader " + p.leader(), () -> ctx.cluster().kill(p.leader()),
          Duration.ofSeconds(8), () -> ctx.cluster().startAgain(p.leader()));
    }));
  }

  /** KIP-101: a leader fails, and its successor fails right after taking over. */
  @Test
  void fastDoubleFailover() {
    assertClean(ChaosRun.run(ChaosConfig.fromSystemProperties().withDuration(RUN), "scenario-double-failover", ctx -> {
      ctx.pause(Duration.ofSeconds(8));
      int first = partition0(ctx.cluster()).leader();
      ctx.cluster().kill(first);
      int second = await().pollInSameThread().atMost(Duration.ofSeconds(20)).ignoreExceptions()
          .until(() -> partition0(ctx.cluster()).leader(), l -> l > 0 && l != first);
      window(ctx, "kill -9 of leader " + first + ", then of its successor " + second,
          () -> ctx.cluster().kill(second), Duration.ofSeconds(10), () -> {
            ctx.cluster().startAgain(first);
            ctx.cluster().startAgain(second);
          });
    }));
  }

  /**
   * An idempotent producer's batches in flight when their leader dies are retried on the new
   * leader; none may be stored twice.
   */
  @Test
  void idempotentRetryAcrossALeaderKill() {
    assertClean(ChaosRun.run(ChaosConfig.fromSystemProperties().withDuration(RUN), "scenario-idempotent-retry", ctx -> {
      ctx.pause(Duration.ofSeconds(8));
      int leader = partition0(ctx.cluster()).leader();
      // Paused first, so requests pile up unanswered on it, then killed: every one is retried.
      window(ctx, "pause then kill -9 of leader " + leader, () -> {
        ctx.cluster().pause(leader);
        ctx.pause(Duration.ofSeconds(3));
        ctx.cluster().unpause(leader);
        ctx.cluster().kill(leader);
      }, Duration.ofSeconds(8), () -> ctx.cluster().startAgain(leader));
    }));
  }

  /**
   * A committed offset lost on coordinator failover: the group coordinator dies while members
   * commit. Its successor must rebuild the group from the offsets topic with every commit it
   * acknowledged, so no member's commit goes backwards and no partition gets two owners.
   */
  @Test
  void coordinatorKilledWhileTheGroupCommits() {
    assertClean(ChaosRun.run(ChaosConfig.fromSystemProperties().withDuration(RUN), "scenario-coordinator-failover",
        ctx -> {
          // The group has members and commits once its coordinator reports them.
          int coordinator = await().pollInSameThread().atMost(Duration.ofSeconds(30)).ignoreExceptions()
              .until(() -> ctx.cluster().admin().describeGroup(Workload.GROUP),
                  g -> !g.members().isEmpty() && g.partitions().stream().anyMatch(p -> p.committedOffset() > 0))
              .coordinatorId();
          window(ctx, "kill -9 of group coordinator " + coordinator, () -> ctx.cluster().kill(coordinator),
              Duration.ofSeconds(10), () -> ctx.cluster().startAgain(coordinator));
          int successor = await().pollInSameThread().atMost(Duration.ofSeconds(30)).ignoreExceptions()
              .until(() -> ctx.cluster().admin().describeGroup(Workload.GROUP).coordinatorId(), id -> id > 0);
          window(ctx, "then kill -9 of its successor " + successor, () -> ctx.cluster().kill(successor),
              Duration.ofSeconds(8), () -> ctx.cluster().startAgain(successor));
        }));
  }

  /**
   * Zombie leader: a paused leader is replaced; when it wakes it still believes it leads and
   * may answer. Nothing it accepts after waking may count as committed.
   */
  @Test
  void pausedOldLeaderWakesUp() {
    assertClean(ChaosRun.run(ChaosConfig.fromSystemProperties().withDuration(RUN), "scenario-zombie-leader", ctx -> {
      ctx.pause(Duration.ofSeconds(8));
      int leader = partition0(ctx.cluster()).leader();
      window(ctx, "docker pause of leader " + leader + " until replaced, then unpause",
          () -> ctx.cluster().pause(leader), Duration.ofSeconds(12), () -> ctx.cluster().unpause(leader));
    }));
  }
}
