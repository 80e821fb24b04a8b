package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.replica.Partition;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leader epochs keep replicas' histories straight (KIP-101): a replica that comes back with
 * records the new leader never had truncates them; a follower that restarts does not lose
 * records it had, even if the leader dies right after.
 */
class DivergenceTest {

  @TempDir
  Path dir;

  @Test
  void anOldLeadersUnreplicatedRecordsAreTruncatedWhenItReturns() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      PartitionInfo p = cluster.admin().createTopic(NewTopic.of("div", 1, 3)).partition(0);
      int oldLeader = p.leader();
      List<Integer> followers = p.replicas().stream().filter(r -> r != oldLeader).toList();
      List<RecordMetadata> committed = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        committed.add(send(cluster, "all", "committed-" + i));
      }
      // Followers stop fetching; the leader takes acks=1 writes only it will ever have.
      followers.forEach(f -> cluster.broker(f).replicas().faults().blockFetchesFrom(oldLeader));
      for (int i = 0; i < 5; i++) {
        send(cluster, "1", "doomed-" + i);
      }
      Partition old = ReplicaChecks.replica(cluster, oldLeader, "div", 0);
      assertThat(old.logEndOffset()).isEqualTo(25);
      assertThat(old.highWatermark()).isEqualTo(20);

      cluster.stopBrokerAbruptly(oldLeader);
      followers.forEach(f -> cluster.broker(f).replicas().faults().heal());
      await().atMost(Duration.ofSeconds(15)).until(() -> followers.contains(
          cluster.admin().describeTopic("div").partition(0).leader()));
      RecordMetadata afterFailover = send(cluster, "all", "new-epoch");
      assertThat(afterFailover.offset()).isEqualTo(20);

      cluster.startBroker(oldLeader);
      ReplicaChecks.assertReplicasAgree(cluster, "div", 0);
      Map<Long, String> log = ReplicaChecks.readAll(cluster, "div", 0);
      for (int i = 0; i < 20; i++) {
        assertThat(log.get(committed.get(i).offset())).isEqualTo("committed-" + i);
      }
      assertThat(log.get(20L)).isEqualTo("new-epoch");
      assertThat(log).doesNotContainValue("doomed-0");
    }
  }

  @Test
  void fastDoubleFailoverKeepsEveryAcknowledgedRecord() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      PartitionInfo p = cluster.admin().createTopic(NewTopic.of("kip101", 1, 3)
          .withConfigs(Map.of("min.insync.replicas", "2"))).partition(0);
      int leader = p.leader();
      int follower = p.replicas().stream().filter(r -> r != leader).findFirst().orElseThrow();
      Workload workload = new Workload(cluster, "kip101", 1, Map.of("acks", "all", "linger.ms", "1",
          "delivery.timeout.ms", "60000", "request.timeout.ms", "5000"));
      await().atMost(Duration.ofSeconds(30)).until(() -> workload.ackedCount() >= 1_000);

      // A follower restarts (without a clean shutdown) and must reconcile its log with the
      // leader's; right after it is back, the leader dies.
      cluster.stopBrokerAbruptly(follower);
      cluster.startBroker(follower);
      cluster.stopBrokerAbruptly(leader);
      long ackedAtKill = workload.ackedCount();
      await().atMost(Duration.ofSeconds(30)).until(() -> workload.ackedCount() >= ackedAtKill + 500);
      workload.stop();

      cluster.startBroker(leader);
      assertThat(workload.failures).isEmpty();
      workload.assertNothingAcknowledgedOrReadWasLost(cluster);
      workload.assertAcknowledgedValuesStoredExactlyOnce(cluster);
      ReplicaChecks.assertReplicasAgree(cluster, "kip101", 0);
    }
  }

  private static RecordMetadata send(TestCluster cluster, String acks, String value) {
    return cluster.producer(Map.of("acks", acks)).send(ProducerRecord.of("div", null, value).withPartition(0)).join();
  }
}
