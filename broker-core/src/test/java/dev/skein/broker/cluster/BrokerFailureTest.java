package dev.skein.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.SkeinAdmin;
import dev.skein.client.TopicDescription;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.ListOffsetsRequest;
import dev.skein.proto.v1.OffsetQuery;
import dev.skein.proto.v1.OffsetResult;
import dev.skein.proto.v1.OffsetSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With one broker of three gone, the other two keep the cluster's metadata working. */
class BrokerFailureTest {

  @TempDir
  Path dir;
  TestCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aCleanlyStoppedBrokersPartitionsLoseTheirLeaderAtOnce() {
    cluster = TestCluster.start(dir, 3);
    cluster.admin().createTopic(NewTopic.of("t", 6, 1));
    int victim = cluster.controllerId() % 3 + 1; // a broker that is not the controller
    cluster.stopBroker(victim);
    SkeinAdmin admin = cluster.admin();
    // Controlled shutdown moved its leaderships (to nobody: one replica each) before it stopped.
    TopicDescription t = admin.describeTopic("t");
    assertLeaderlessExactlyWhere(t, victim);
    metadataStillWorks(admin);
    leaderlessPartitionsAnswerAtOnce(t, victim);
  }

  @Test
  void aCrashedControllerIsFencedWithinTheSessionTimeout() {
    cluster = TestCluster.start(dir, 3);
    cluster.admin().createTopic(NewTopic.of("t", 6, 1));
    int victim = cluster.controllerId();
    long start = System.nanoTime();
    cluster.stopBrokerAbruptly(victim);
    SkeinAdmin admin = cluster.admin();
    // A new controller is elected and fences the silent broker: Raft election plus one session timeout.
    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
        assertLeaderlessExactlyWhere(admin.describeTopic("t"), victim));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).isLessThan(Duration.ofSeconds(10));
    metadataStillWorks(admin);
    leaderlessPartitionsAnswerAtOnce(admin.describeTopic("t"), victim);

    cluster.startBroker(victim);
    await().atMost(Duration.ofSeconds(15)).until(() ->
        admin.describeTopic("t").partitions().stream().allMatch(PartitionInfo::hasLeader));
    assertThat(admin.describeTopic("t").partitions()).allMatch(p -> p.leader() == p.replicas().get(0));
  }

  @Test
  void aTopicDeletedWhileABrokerWasDownLeavesNoDataBehind() {
    cluster = TestCluster.start(dir, 3);
    cluster.admin().createTopic(NewTopic.of("doomed", 3, 3));
    cluster.admin().createTopic(NewTopic.of("kept", 3, 3));
    cluster.producer(java.util.Map.of()).send(dev.skein.client.ProducerRecord.of("kept", "k", "v")).join();
    cluster.stopBroker(3);
    cluster.admin().deleteTopic("doomed");
    cluster.startBroker(3);
    Path logs = dir.resolve("broker-3").resolve("logs");
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      try (java.util.stream.Stream<Path> dirs = java.nio.file.Files.list(logs)) {
        List<String> names = dirs.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList();
        assertThat(names).noneMatch(n -> n.startsWith("doomed-") && !n.endsWith("-delete"));
        assertThat(names).contains("kept-0", "kept-1", "kept-2");
      }
    });
  }

  private static void assertLeaderlessExactlyWhere(TopicDescription t, int stoppedBroker) {
    for (PartitionInfo p : t.partitions()) {
      if (p.replicas().contains(stoppedBroker)) {
        assertThat(p.leader()).as("partition %d of the stopped broker", p.partition()).isEqualTo(-1);
        assertThat(p.offlineReplicas()).containsExactly(stoppedBroker);
      } else {
        assertThat(p.leader()).as("partition %d", p.partition()).isEqualTo(p.replicas().get(0));
      }
    }
  }

  private static void metadataStillWorks(SkeinAdmin admin) {
    TopicDescription created = admin.createTopic(NewTopic.of("after-failure", 4, 1));
    assertThat(created.partitions()).allMatch(PartitionInfo::hasLeader);
    admin.deleteTopic("after-failure");
    // The deletion is committed when deleteTopic returns; the broker answering listTopics may
    // apply it a moment later (as with Kafka, metadata reaches each broker on its own).
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(admin.listTopics(false)).extracting("name").containsExactly("t"));
  }

  /** Reading a partition that has no leader fails fast with LEADER_NOT_AVAILABLE instead of hanging. */
  private void leaderlessPartitionsAnswerAtOnce(TopicDescription t, int stoppedBroker) {
    int alive = cluster.runningIds().get(0);
    PartitionInfo orphan = t.partitions().stream().filter(p -> p.replicas().contains(stoppedBroker)).findFirst()
        .orElseThrow();
    List<OffsetResult> results = ConsumerServiceGrpc.newBlockingStub(cluster.channel(alive))
        .withDeadlineAfter(2, java.util.concurrent.TimeUnit.SECONDS)
        .listOffsets(ListOffsetsRequest.newBuilder().addQueries(OffsetQuery.newBuilder().setTopic("t")
            .setPartition(orphan.partition()).setSpec(OffsetSpec.OFFSET_SPEC_LATEST)).build())
        .getResultsList();
    assertThat(results.get(0).getError().getReason()).isEqualTo("LEADER_NOT_AVAILABLE");
    assertThat(results.get(0).getError().getRetriable()).isTrue();
  }
}
