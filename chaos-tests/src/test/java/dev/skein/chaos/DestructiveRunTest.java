package dev.skein.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.chaos.checker.Anomaly.Kind;
import dev.skein.chaos.history.Op;
import dev.skein.client.PartitionInfo;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.OffsetSpec;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Proof that the harness sees real loss: a fault no log could survive. Every replica of one
 * partition has that partition's directory deleted and is killed, then all start again. The
 * checker must report acknowledged writes lost and reads that vanished. Nothing in the broker
 * knows this is a test: the damage is done with rm and docker kill from outside.
 */
@Tag("docker")
class DestructiveRunTest {

  @Test
  void wipingEveryReplicaOfAPartitionIsReportedAsLoss() {
    ChaosConfig config = ChaosConfig.fromSystemProperties().withDuration(Duration.ofSeconds(75));
    ChaosRun.Result result = ChaosRun.run(config, "destructive-wipe", ctx -> {
      ctx.pause(Duration.ofSeconds(15));
      // Stop reading for a while, so some acknowledged writes are never read before they go.
      ctx.workload().crashConsumers();
      ctx.pause(Duration.ofSeconds(8));
      PartitionInfo victim = ctx.cluster().describe(ChaosRun.TOPIC).partition(0);
      long endBeforeWipe;
      try (SkeinAdmin admin = ctx.cluster().admin()) {
        endBeforeWipe = endOffset(admin);
      }
      long start = ctx.history().now();
      String what = "rm -rf the directory of partition 0 on replicas " + victim.replicas() + ", kill -9 them";
      ctx.history().append(new Op(Op.Type.invoke, Op.F.FAULT, "nemesis", start, 0, null, what, null, null));
      List<Integer> replicas = victim.replicas();
      for (int id : replicas) {
        ctx.cluster().wipePartition(id, ChaosRun.TOPIC, 0);
        ctx.cluster().kill(id);
      }
      ctx.pause(Duration.ofSeconds(3));
      replicas.forEach(ctx.cluster()::startAgain);
      ctx.history().append(new Op(Op.Type.ok, Op.F.FAULT, "nemesis", ctx.history().now(), 0, null, what, null,
          null));
      ctx.workload().restartConsumers();
      // The lost writes are told from unread ones by reads of later offsets: wait until the
      // emptied partition has grown past where it ended (with a margin for the writes acknowledged
      // while the replicas were being wiped one by one), so its reads (consumers', the drain's)
      // reach beyond the writes that vanished, however long the restart took.
      try (SkeinAdmin admin = ctx.cluster().admin()) {
        await().pollInSameThread().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
            .ignoreExceptions().until(() -> endOffset(admin) > endBeforeWipe + 200);
      }
    });
    assertThat(result.check().byKind()).as(result.summary())
        .containsKeys(Kind.LOST_WRITE, Kind.VISIBLE_THEN_MISSING);
    assertThat(result.check().byKind().get(Kind.LOST_WRITE)).allMatch(a -> a.partition() == 0);
  }

  private static long endOffset(SkeinAdmin admin) {
    TopicPartition p0 = new TopicPartition(ChaosRun.TOPIC, 0);
    return admin.logOffsets(List.of(p0), OffsetSpec.OFFSET_SPEC_LATEST, 0).get(p0);
  }
}
