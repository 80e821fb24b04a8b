package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.client.TopicDescription;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A partition leader crashes under acks=all load; the cluster elects a new one from the ISR. */
class LeaderFailoverTest {

  @TempDir
  Path dir;

  @Test
  void killingTheLeaderUnderLoadLosesNoAcknowledgedRecord() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      TopicDescription topic = cluster.admin().createTopic(NewTopic.of("load", 2, 3)
          .withConfigs(Map.of("min.insync.replicas", "2")));
      int victim = topic.partition(0).leader();
      Workload workload = new Workload(cluster, "load", 2, Map.of("acks", "all", "linger.ms", "2",
          "delivery.timeout.ms", "60000", "request.timeout.ms", "5000"));
      await().atMost(Duration.ofSeconds(30)).until(() -> workload.ackedCount() >= 2_000);

      cluster.stopBrokerAbruptly(victim);
      long ackedAtKill = workload.ackedCount();
      await().atMost(Duration.ofSeconds(30)).until(() -> workload.ackedCount() >= ackedAtKill + 2_000);
      workload.stop();

      PartitionInfo after = cluster.admin().describeTopic("load").partition(0);
      assertThat(after.leader()).isNotEqualTo(victim).isPositive();
      assertThat(after.isr()).doesNotContain(victim);
      assertThat(workload.failures).as("acks=all sends with retries ride through the failover").isEmpty();
      // The new leader takes writes.
      RecordMetadata m = cluster.producer(Map.of("acks", "all"))
          .send(ProducerRecord.of("load", null, "after").withPartition(0)).join();
      assertThat(m.offset()).isPositive();

      cluster.startBroker(victim);
      workload.assertNothingAcknowledgedOrReadWasLost(cluster);
      workload.assertAcknowledgedValuesInSendOrder();
      workload.assertAcknowledgedValuesStoredExactlyOnce(cluster);
      ReplicaChecks.assertReplicasAgree(cluster, "load", 0);
      ReplicaChecks.assertReplicasAgree(cluster, "load", 1);
    }
  }
}
