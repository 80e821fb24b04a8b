package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.replica.ReplicationConfig;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.proto.v1.Acks;
import dev.skein.proto.v1.ErrorDetail;
import dev.skein.proto.v1.PartitionBatch;
import dev.skein.proto.v1.PartitionProduceResult;
import dev.skein.proto.v1.ProduceOutcome;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProducerServiceGrpc;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordSet;
import dev.skein.storage.log.LogConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The produce contract, one outcome at a time, over raw gRPC: a batch refused before it was
 * appended is NOT_STORED; a batch appended and then not confirmed (too few replicas had it when
 * it was committed, leadership moved, replication timed out) is UNKNOWN with what the broker
 * knows, never a refusal reason.
 */
class ProduceOutcomeTest {

  private static final String TOPIC = "outcomes";

  @TempDir
  Path dir;

  @Test
  void aBatchCommittedAfterTheIsrShrankBelowMinInsyncIsInDoubtAndLaterWritesAreRefused() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3, 3, LogConfig.DEFAULT,
        ReplicationConfig.DEFAULT.withReplicaLagTimeMax(Duration.ofMillis(1500)))) {
      int leader = createTopic(cluster);
      // The ISR was read from any broker's metadata; the leader may take up its leadership a
      // moment later, and refuses (stores nothing) until then.
      await().atMost(Duration.ofSeconds(20)).until(() -> produce(cluster, leader, "replicated", 10_000).getOutcome()
          == ProduceOutcome.PRODUCE_OUTCOME_STORED);

      cutFollowersOff(cluster, leader);
      // Appended while the ISR still has three members; only the leader ever gets it.
      PartitionProduceResult inDoubt = produce(cluster, leader, "appended-alone", 20_000);

      assertThat(inDoubt.getOutcome()).isEqualTo(ProduceOutcome.PRODUCE_OUTCOME_UNKNOWN);
      ErrorDetail error = inDoubt.getError();
      assertThat(error.getReason()).isEqualTo("OUTCOME_UNKNOWN");
      assertThat(error.getMetadataMap()).containsEntry("appended_offset", "1").containsEntry("replicas_with_batch", "1")
          .containsEntry("min_insync_replicas", "2");
      assertThat(error.getMessage()).contains("is readable", "min.insync.replicas (2)");
      assertThat(inDoubt.getBaseOffset()).isEqualTo(-1);
      // "Not stored" would have been a lie: consumers read it.
      assertThat(ReplicaChecks.readAll(cluster, TOPIC, 0)).containsEntry(1L, "appended-alone");

      // Now the ISR is the leader alone: a new write is refused before it is appended.
      PartitionProduceResult refused = produce(cluster, leader, "refused", 10_000);
      assertThat(refused.getOutcome()).isEqualTo(ProduceOutcome.PRODUCE_OUTCOME_NOT_STORED);
      assertThat(refused.getError().getReason()).isEqualTo("NOT_ENOUGH_REPLICAS");
      assertThat(ReplicaChecks.replica(cluster, leader, TOPIC, 0).logEndOffset()).isEqualTo(2);

      cluster.runningIds().forEach(id -> cluster.broker(id).replicas().faults().heal());
      ReplicaChecks.assertReplicasAgree(cluster, TOPIC, 0);
      assertThat(ReplicaChecks.readAll(cluster, TOPIC, 0)).doesNotContainValue("refused");
    }
  }

  @Test
  void aBatchWhoseLeaderMovesBeforeItIsCommittedIsInDoubtAndNamesTheNewLeader() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3, 3, LogConfig.DEFAULT,
        ReplicationConfig.DEFAULT.withReplicaLagTimeMax(Duration.ofSeconds(60)))) {
      int leader = createTopic(cluster);
      cutFollowersOff(cluster, leader);
      CompletableFuture<PartitionProduceResult> waiting =
          CompletableFuture.supplyAsync(() -> produce(cluster, leader, "moved", 30_000));
      await().atMost(Duration.ofSeconds(10)).until(() ->
          ReplicaChecks.replica(cluster, leader, TOPIC, 0).logEndOffset() == 1);

      // A controlled shutdown hands the leadership to a follower that never got the batch.
      cluster.stopBroker(leader);
      PartitionProduceResult result = waiting.get();

      assertThat(result.getOutcome()).isEqualTo(ProduceOutcome.PRODUCE_OUTCOME_UNKNOWN);
      assertThat(result.getError().getReason()).isEqualTo("OUTCOME_UNKNOWN");
      Map<String, String> metadata = result.getError().getMetadataMap();
      int newLeader = cluster.admin().describeTopic(TOPIC).partition(0).leader();
      assertThat(newLeader).isNotEqualTo(leader).isPositive();
      assertThat(metadata).containsEntry("appended_offset", "0").containsEntry("leader_id", Integer.toString(newLeader))
          .containsEntry("leader_address", cluster.address(newLeader).toString());
      assertThat(result.getError().getMessage()).contains("leadership moved", "may or may not have been kept");
    }
  }

  @Test
  void aBatchNotReplicatedWithinTheTimeoutIsInDoubtWithWhereItWasAppended() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3, 3, LogConfig.DEFAULT,
        ReplicationConfig.DEFAULT.withReplicaLagTimeMax(Duration.ofSeconds(60)))) {
      int leader = createTopic(cluster);
      cutFollowersOff(cluster, leader);

      PartitionProduceResult result = produce(cluster, leader, "slow", 1_000);

      assertThat(result.getOutcome()).isEqualTo(ProduceOutcome.PRODUCE_OUTCOME_UNKNOWN);
      assertThat(result.getError().getReason()).isEqualTo("REQUEST_TIMED_OUT");
      assertThat(result.getError().getMetadataMap()).containsEntry("appended_offset", "0");

      // Once the followers catch up it is committed: the answer was rightly not "not stored".
      cluster.runningIds().forEach(id -> cluster.broker(id).replicas().faults().heal());
      ReplicaChecks.assertReplicasAgree(cluster, TOPIC, 0);
      assertThat(ReplicaChecks.readAll(cluster, TOPIC, 0)).containsEntry(0L, "slow");
    }
  }

  @Test
  void aFollowerRefusesWithNotLeaderNamingTheLeaderAndItsAddress() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3, 3, LogConfig.DEFAULT, ReplicationConfig.DEFAULT)) {
      int leader = createTopic(cluster);
      int follower = cluster.runningIds().stream().filter(id -> id != leader).findFirst().orElseThrow();

      PartitionProduceResult result = produce(cluster, follower, "wrong broker", 10_000);

      assertThat(result.getOutcome()).isEqualTo(ProduceOutcome.PRODUCE_OUTCOME_NOT_STORED);
      assertThat(result.getError().getReason()).isEqualTo("NOT_LEADER");
      assertThat(result.getError().getMetadataMap()).containsEntry("leader_id", Integer.toString(leader))
          .containsEntry("leader_address", cluster.address(leader).toString());
      assertThat(ReplicaChecks.replica(cluster, follower, TOPIC, 0).logEndOffset()).isZero();
    }
  }

  /** One partition, three replicas, min.insync.replicas=2; returns its leader. */
  private static int createTopic(TestCluster cluster) {
    PartitionInfo p = cluster.admin().createTopic(NewTopic.of(TOPIC, 1, 3)
        .withConfigs(Map.of("min.insync.replicas", "2"))).partition(0);
    // A broker whose metadata is a moment behind answers UNKNOWN_TOPIC: asked again.
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() ->
        cluster.admin().describeTopic(TOPIC).partition(0).isr().size() == 3);
    // The ISR above is the controller's; each broker takes the partition up a moment later, and the
    // tests read the leader's replica (and cut its followers off) right away.
    await().atMost(Duration.ofSeconds(20)).until(() -> p.replicas().stream()
        .allMatch(id -> cluster.broker(id).replicas().partition(TOPIC, 0).isPresent())
        && cluster.broker(p.leader()).replicas().partition(TOPIC, 0).orElseThrow().isLeader());
    return p.leader();
  }

  private static void cutFollowersOff(TestCluster cluster, int leader) {
    List<Integer> followers = cluster.runningIds().stream().filter(id -> id != leader).toList();
    followers.forEach(f -> cluster.broker(f).replicas().faults().blockFetchesFrom(leader));
  }

  static PartitionProduceResult produce(TestCluster cluster, int broker, String value, int timeoutMs) {
    RecordBatch batch = RecordBatch.newBuilder().setRecords(RecordSet.newBuilder()
        .addRecords(Record.newBuilder().setTimestampMs(System.currentTimeMillis())
            .setValue(ByteString.copyFromUtf8(value))).build().toByteString()).build();
    return ProducerServiceGrpc.newBlockingStub(cluster.channel(broker)).produce(ProduceRequest.newBuilder()
        .setAcks(Acks.ACKS_ALL).setTimeoutMs(timeoutMs)
        .addBatches(PartitionBatch.newBuilder().setTopic(TOPIC).setPartition(0).setBatch(batch)).build())
        .getResults(0);
  }
}
