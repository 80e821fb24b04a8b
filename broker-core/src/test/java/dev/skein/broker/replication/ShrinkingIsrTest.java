package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.replica.ReplicationConfig;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.ProducerRecord;
import dev.skein.proto.v1.Acks;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.ListOffsetsRequest;
import dev.skein.proto.v1.OffsetQuery;
import dev.skein.proto.v1.OffsetSpec;
import dev.skein.proto.v1.PartitionBatch;
import dev.skein.proto.v1.PartitionProduceResult;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jepsen's Kafka 0.8 data loss, which Skein must not have: with min.insync.replicas=2, once
 * both followers have fallen out of the ISR, acks=all writes are refused rather than accepted
 * by the leader alone and lost with it; and when that leader dies, no follower outside the
 * ISR becomes leader.
 */
class ShrinkingIsrTest {

  @TempDir
  Path dir;

  @Test
  void aLoneLeaderRefusesAcksAllAndNoStaleFollowerTakesOver() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3, 3, LogConfig.DEFAULT,
        ReplicationConfig.DEFAULT.withReplicaLagTimeMax(Duration.ofMillis(1500)))) {
      PartitionInfo p = cluster.admin().createTopic(NewTopic.of("jepsen", 1, 3)
          .withConfigs(Map.of("min.insync.replicas", "2"))).partition(0);
      int leader = p.leader();
      List<Integer> followers = p.replicas().stream().filter(r -> r != leader).toList();
      for (int i = 0; i < 50; i++) {
        cluster.producer(Map.of("acks", "all")).send(ProducerRecord.of("jepsen", null, "before-" + i)).join();
      }

      // Cut both followers off from the leader; they stay alive and registered.
      followers.forEach(f -> cluster.broker(f).replicas().faults().blockFetchesFrom(leader));
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(cluster.admin().describeTopic("jepsen").partition(0).isr()).containsExactly(leader));

      long endBefore = latest(cluster, leader);
      PartitionProduceResult refused = produce(cluster, leader, Acks.ACKS_ALL, "during-isolation");
      assertThat(refused.getError().getReason()).isEqualTo("NOT_ENOUGH_REPLICAS");
      assertThat(refused.getError().getRetriable()).isTrue();
      assertThat(refused.getError().getMessage()).contains("fewer than min.insync.replicas (2)");
      assertThat(latest(cluster, leader)).as("nothing was appended").isEqualTo(endBefore);
      assertThat(ReplicaChecks.replica(cluster, leader, "jepsen", 0).logEndOffset()).isEqualTo(endBefore);

      // The lone leader dies: the followers are not in the ISR, so neither may lead.
      cluster.stopBrokerAbruptly(leader);
      await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
          assertThat(cluster.admin().describeTopic("jepsen").partition(0).leader()).isEqualTo(-1));
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        PartitionInfo now = cluster.admin().describeTopic("jepsen").partition(0);
        assertThat(now.leader()).isEqualTo(-1);
        assertThat(now.isr()).containsExactly(leader);
      });

      // The old leader comes back with everything acknowledged; followers rejoin and agree.
      followers.forEach(f -> cluster.broker(f).replicas().faults().heal());
      cluster.startBroker(leader);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(cluster.admin().describeTopic("jepsen").partition(0).leader()).isEqualTo(leader));
      Map<Long, String> log = ReplicaChecks.readAll(cluster, "jepsen", 0);
      for (int i = 0; i < 50; i++) {
        assertThat(log).containsValue("before-" + i);
      }
      assertThat(log).doesNotContainValue("during-isolation");
      ReplicaChecks.assertReplicasAgree(cluster, "jepsen", 0);
    }
  }

  private static PartitionProduceResult produce(TestCluster cluster, int broker, Acks acks, String value) {
    RecordBatch batch = RecordBatch.newBuilder().setRecords(RecordSet.newBuilder()
        .addRecords(Record.newBuilder().setValue(com.google.protobuf.ByteString.copyFromUtf8(value))).build()
        .toByteString()).build();
    return ProducerServiceGrpc.newBlockingStub(cluster.channel(broker)).produce(ProduceRequest.newBuilder()
        .setAcks(acks).setTimeoutMs(5_000)
        .addBatches(PartitionBatch.newBuilder().setTopic("jepsen").setPartition(0).setBatch(batch)).build())
        .getResults(0);
  }

  private static long latest(TestCluster cluster, int broker) {
    return ConsumerServiceGrpc.newBlockingStub(cluster.channel(broker)).listOffsets(ListOffsetsRequest.newBuilder()
        .addQueries(OffsetQuery.newBuilder().setTopic("jepsen").setPartition(0).setSpec(OffsetSpec.OFFSET_SPEC_LATEST))
        .build()).getResults(0).getOffset();
  }
}
