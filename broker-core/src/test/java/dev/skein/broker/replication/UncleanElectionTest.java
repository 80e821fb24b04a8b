package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.replica.ReplicationConfig;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.storage.log.LogConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With unclean.leader.election.enable=true a partition whose ISR has no live broker gets a
 * leader from outside the ISR, trading committed records for availability. The returning
 * old leader drops what the new history does not have, and replicas agree again.
 */
class UncleanElectionTest {

  @TempDir
  Path dir;

  @Test
  void anOutOfSyncFollowerTakesOverOnlyWhenTheTopicAllowsIt() {
    try (TestCluster cluster = TestCluster.start(dir, 3, 3, LogConfig.DEFAULT,
        ReplicationConfig.DEFAULT.withReplicaLagTimeMax(Duration.ofMillis(1500)))) {
      PartitionInfo p = cluster.admin().createTopic(NewTopic.of("unclean", 1, 3)
          .withConfigs(Map.of("unclean.leader.election.enable", "true"))).partition(0);
      int leader = p.leader();
      List<Integer> followers = p.replicas().stream().filter(r -> r != leader).toList();
      cluster.producer(Map.of("acks", "all")).send(ProducerRecord.of("unclean", null, "replicated").withPartition(0))
          .join();
      followers.forEach(f -> cluster.broker(f).replicas().faults().blockFetchesFrom(leader));
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(cluster.admin().describeTopic("unclean").partition(0).isr()).containsExactly(leader));
      RecordMetadata lonely = send(cluster, "only-on-the-old-leader");

      cluster.stopBrokerAbruptly(leader);
      followers.forEach(f -> cluster.broker(f).replicas().faults().heal());
      await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
        PartitionInfo now = cluster.admin().describeTopic("unclean").partition(0);
        assertThat(now.leader()).isIn(followers);
        assertThat(now.isr()).contains(now.leader()).doesNotContain(leader);
      });
      RecordMetadata after = send(cluster, "new-history");
      assertThat(after.offset()).as("the new leader lacks the old leader's last record").isEqualTo(lonely.offset());

      cluster.startBroker(leader);
      ReplicaChecks.assertReplicasAgree(cluster, "unclean", 0);
      Map<Long, String> log = ReplicaChecks.readAll(cluster, "unclean", 0);
      assertThat(log).containsValues("replicated", "new-history").doesNotContainValue("only-on-the-old-leader");
    }
  }

  private static RecordMetadata send(TestCluster cluster, String value) {
    return cluster.producer(Map.of("acks", "1")).send(ProducerRecord.of("unclean", null, value).withPartition(0))
        .join();
  }
}
