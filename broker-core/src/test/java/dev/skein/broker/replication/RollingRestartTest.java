package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restarting every broker in turn, each with a controlled shutdown, under acks=all load. */
class RollingRestartTest {

  @TempDir
  Path dir;

  @Test
  void aRollingRestartCausesNoLossAndNoProducerVisibleFailure() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      cluster.admin().createTopic(NewTopic.of("rolling", 6, 3).withConfigs(Map.of("min.insync.replicas", "2")));
      Workload workload = new Workload(cluster, "rolling", 6, Map.of("acks", "all", "linger.ms", "2",
          "delivery.timeout.ms", "120000", "request.timeout.ms", "10000"));
      await().atMost(Duration.ofSeconds(30)).until(() -> workload.ackedCount() >= 1_000);
      for (int id = 1; id <= 3; id++) {
        long before = workload.ackedCount();
        cluster.stopBroker(id);
        await().atMost(Duration.ofSeconds(30)).until(() -> workload.ackedCount() >= before + 500);
        cluster.startBroker(id);
        // Wait until the restarted broker is back in every ISR before taking the next one down.
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.admin().describeTopic("rolling").partitions()
            .stream().allMatch(p -> p.isr().size() == 3));
      }
      long before = workload.ackedCount();
      await().atMost(Duration.ofSeconds(30)).until(() -> workload.ackedCount() >= before + 500);
      workload.stop();

      assertThat(workload.failures).isEmpty();
      workload.assertNothingAcknowledgedOrReadWasLost(cluster);
      workload.assertAcknowledgedValuesInSendOrder();
      workload.assertAcknowledgedValuesStoredExactlyOnce(cluster);
      for (int p = 0; p < 6; p++) {
        ReplicaChecks.assertReplicasAgree(cluster, "rolling", p);
      }
      // Preferred leaders are back in charge.
      await().atMost(Duration.ofSeconds(30)).until(() -> cluster.admin().describeTopic("rolling").partitions()
          .stream().allMatch(p -> p.leader() == p.replicas().get(0)));
      assertThat(cluster.admin().describeTopic("rolling").partitions()).allMatch(PartitionInfo::hasLeader);
    }
  }
}
