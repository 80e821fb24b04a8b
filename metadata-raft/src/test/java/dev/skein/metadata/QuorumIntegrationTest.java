package dev.skein.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.metadata.controller.ControllerError;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.MetadataDelta;
import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.ControllerResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Three voting brokers in one JVM, on loopback, with the default (production) timeouts. */
class QuorumIntegrationTest {

  private static final Logger LOG = LoggerFactory.getLogger(QuorumIntegrationTest.class);

  @TempDir
  Path dir;

  private TestCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void startAndAwaitUnfenced() {
    cluster = new TestCluster(dir, 3);
    long start = System.nanoTime();
    cluster.startVoterBrokers();
    MetadataQuorum leader = cluster.awaitLeader();
    LOG.info("MEASURED leader {} elected {} ms after start", leader.nodeId(), millisSince(start));
    for (TestCluster.Broker broker : cluster.running()) {
      broker.lifecycle().unfenced().orTimeout(30, TimeUnit.SECONDS).join();
    }
    LOG.info("MEASURED all brokers unfenced {} ms after start", millisSince(start));
  }

  private static long millisSince(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  @Test
  void brokersRegisterAndTopicsAreManagedThroughAnyMember() {
    startAndAwaitUnfenced();
    List<MetadataDelta> seenByTwo = new CopyOnWriteArrayList<>();
    cluster.quorum(2).addListener((delta, image) -> seenByTwo.add(delta));

    for (int member = 1; member <= 3; member++) {
      long start = System.nanoTime();
      ControllerResponse created = cluster.send(member, Requests.createTopic("topic-" + member, 3, 3,
          Map.of("retention.ms", "60000")));
      LOG.info("MEASURED create-topic through member {} took {} ms", member, millisSince(start));
      assertThat(created.getErrorReason()).isEmpty();
      assertThat(created.getAppliedIndex()).isPositive();
      // The member that asked can wait for its own image to show the change.
      ClusterImage image = cluster.quorum(member).awaitOffset(created.getAppliedIndex()).orTimeout(10, TimeUnit.SECONDS).join();
      assertThat(image.topics().byName("topic-" + member).orElseThrow().id())
          .isEqualTo(created.getCreateTopic().getTopicId());
    }
    ControllerResponse deleted = cluster.send(3, Requests.deleteTopic("topic-1"));
    assertThat(deleted.getErrorReason()).isEmpty();

    ControllerResponse refused = cluster.send(1, Requests.createTopic("too-wide", 1, 4));
    assertThat(refused.getErrorReason()).isEqualTo(ControllerError.INVALID_REPLICATION_FACTOR.name());
    assertThat(refused.getErrorCode()).isEqualTo(3);
    assertThat(refused.getErrorMessage()).isEqualTo("replication factor 4 is larger than the 3 available brokers");

    ClusterImage image = cluster.awaitConvergence();
    assertThat(image.offset()).isGreaterThanOrEqualTo(deleted.getAppliedIndex());
    assertThat(image.clusterId()).isNotEmpty();
    assertThat(image.brokers().usableBrokerIds()).containsExactly(1, 2, 3);
    assertThat(image.brokers().brokers().values()).allSatisfy(broker -> assertThat(broker.voter()).isTrue());
    assertThat(image.topics().byName("topic-1")).isEmpty();
    assertThat(image.topics().byName("topic-2")).isPresent();
    TopicImage topic3 = image.topics().byName("topic-3").orElseThrow();
    assertThat(topic3.partitions().values()).extracting(PartitionRegistration::leader).containsExactlyInAnyOrder(1, 2, 3);
    assertThat(image.configs().topicConfigs(topic3.id())).containsEntry("retention.ms", "60000");

    // Member 2's listener got the image it joined at as its first delta, then saw every topic
    // come and topic-1 go.
    assertThat(seenByTwo.get(0).brokerChanges()).containsOnlyKeys(1, 2, 3)
        .allSatisfy((id, change) -> assertThat(change.previous()).isNull());
    await().atMost(TestCluster.TIMEOUT).untilAsserted(() -> {
      assertThat(seenByTwo.stream().flatMap(delta -> delta.createdTopics().stream()).map(TopicImage::name))
          .contains("topic-1", "topic-2", "topic-3");
      assertThat(seenByTwo.stream().flatMap(delta -> delta.deletedTopics().stream()).map(TopicImage::name))
          .containsExactly("topic-1");
    });

    QuorumStatus status = cluster.quorum(2).quorumStatus().orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(status.leaderId()).isEqualTo(cluster.currentLeader().nodeId());
    assertThat(status.commitIndex()).isGreaterThanOrEqualTo(deleted.getAppliedIndex());
    assertThat(status.members()).extracting(QuorumStatus.Member::id).containsExactlyInAnyOrder(1, 2, 3);
    assertThat(status.members()).filteredOn(member -> member.role() == QuorumStatus.Role.LEADER).hasSize(1);
    assertThat(status.members()).filteredOn(member -> member.role() == QuorumStatus.Role.FOLLOWER).hasSize(2)
        .allSatisfy(member -> assertThat(member.lastContactMs()).isBetween(0L, 5000L));
  }

  @Test
  void survivesTheLossOfTheRaftLeader() {
    startAndAwaitUnfenced();
    assertThat(cluster.send(1, Requests.createTopic("before", 6, 3)).getErrorReason()).isEmpty();
    int oldLeader = cluster.awaitLeader().nodeId();

    long killedAt = System.nanoTime();
    cluster.stop(oldLeader);
    MetadataQuorum newLeader = await().atMost(TestCluster.TIMEOUT).pollInterval(Duration.ofMillis(10))
        .until(cluster::currentLeader, leader -> leader != null);
    LOG.info("MEASURED new leader {} elected {} ms after killing leader {}", newLeader.nodeId(), millisSince(killedAt),
        oldLeader);
    // Through the member that is not the new leader: the request has to find the leader.
    int survivor = cluster.running().stream().mapToInt(TestCluster.Broker::id)
        .filter(id -> id != newLeader.nodeId()).findFirst().orElseThrow();

    long start = System.nanoTime();
    ControllerResponse created = cluster.send(survivor, Requests.createTopic("after", 2, 2));
    LOG.info("MEASURED first create-topic after the failover took {} ms ({} ms after the kill)", millisSince(start),
        millisSince(killedAt));
    assertThat(created.getErrorReason()).isEmpty();

    // The dead broker is fenced once the new controller's grace period ends, and loses its leaderships.
    ClusterImage fenced = await().atMost(TestCluster.TIMEOUT).pollInterval(Duration.ofMillis(10))
        .until(() -> cluster.quorum(survivor).image(),
            image -> image.brokers().get(oldLeader).orElseThrow().fenced());
    LOG.info("MEASURED dead leader {} fenced {} ms after the kill", oldLeader, millisSince(killedAt));
    assertThat(fenced.topics().byName("before").orElseThrow().partitions().values())
        .allSatisfy(partition -> {
          assertThat(partition.leader()).isNotIn(oldLeader, PartitionRegistration.NO_LEADER);
          assertThat(partition.isr()).doesNotContain(oldLeader);
        });
    ClusterImage converged = cluster.awaitConvergence();
    assertThat(converged.topics().byName("after")).isPresent();

    // It comes back, catches up and serves again.
    TestCluster.Broker restarted = cluster.startBroker(oldLeader);
    restarted.lifecycle().unfenced().orTimeout(30, TimeUnit.SECONDS).join();
    assertThat(cluster.send(oldLeader, Requests.deleteTopic("before")).getErrorReason()).isEmpty();
    ClusterImage all = cluster.awaitConvergence();
    assertThat(all.brokers().usableBrokerIds()).containsExactly(1, 2, 3);
    assertThat(all.topics().byName("before")).isEmpty();
    assertThat(all.topics().byName("after")).isPresent();
  }

  @Test
  void aSilentBrokerIsFencedPromptlyAndLeadsAgainWhenItReturns() {
    startAndAwaitUnfenced();
    assertThat(cluster.send(1, Requests.createTopic("single", 3, 1)).getErrorReason()).isEmpty();
    assertThat(cluster.send(1, Requests.createTopic("replicated", 3, 3)).getErrorReason()).isEmpty();
    int silent = cluster.awaitLeader().nodeId() % 3 + 1; // a broker that does not run the controller
    String singleTopicId = cluster.awaitConvergence().topics().byName("single").orElseThrow().id();
    int itsPartition = cluster.quorum(silent).image().topics().byId(singleTopicId).orElseThrow().partitions()
        .entrySet().stream().filter(entry -> entry.getValue().leader() == silent).findFirst().orElseThrow().getKey();

    long silentAt = System.nanoTime();
    cluster.stopLifecycle(silent);
    ClusterImage fenced = await().atMost(TestCluster.TIMEOUT).pollInterval(Duration.ofMillis(10))
        .until(() -> cluster.quorum(silent).image(), image -> image.brokers().get(silent).orElseThrow().fenced());
    long fencedAfter = millisSince(silentAt);
    LOG.info("MEASURED silent broker {} fenced {} ms after its last heartbeat could have been sent", silent, fencedAfter);
    assertThat(fencedAfter).isLessThan(QuorumConfig.DEFAULT_SESSION_TIMEOUT.toMillis() + 1000);
    PartitionRegistration orphan = fenced.topics().byId(singleTopicId).orElseThrow().partition(itsPartition).orElseThrow();
    assertThat(orphan.leader()).isEqualTo(PartitionRegistration.NO_LEADER);
    assertThat(orphan.isr()).containsExactly(silent);
    assertThat(fenced.topics().byName("replicated").orElseThrow().partitions().values()).allSatisfy(partition -> {
      assertThat(partition.leader()).isNotIn(silent, PartitionRegistration.NO_LEADER);
      assertThat(partition.isr()).doesNotContain(silent);
    });

    long returnedAt = System.nanoTime();
    cluster.startLifecycle(silent).unfenced().orTimeout(30, TimeUnit.SECONDS).join();
    ClusterImage back = await().atMost(TestCluster.TIMEOUT).pollInterval(Duration.ofMillis(10))
        .until(() -> cluster.quorum(silent).image(),
            image -> image.topics().byId(singleTopicId).orElseThrow().partition(itsPartition).orElseThrow().leader() == silent);
    LOG.info("MEASURED returning broker {} leads again {} ms after it restarted heartbeating", silent,
        millisSince(returnedAt));
    PartitionRegistration led = back.topics().byId(singleTopicId).orElseThrow().partition(itsPartition).orElseThrow();
    assertThat(led.leaderEpoch()).isEqualTo(orphan.leaderEpoch() + 1);

    // The replicated partition it is the preferred leader of comes back too, as soon as that
    // partition's leader takes it into the ISR again (the test stands in for the leader here).
    TopicImage replicated = back.topics().byName("replicated").orElseThrow();
    int preferredPartition = replicated.partitions().entrySet().stream()
        .filter(entry -> entry.getValue().preferredLeader() == silent).findFirst().orElseThrow().getKey();
    PartitionRegistration away = replicated.partition(preferredPartition).orElseThrow();
    int leader = away.leader();
    List<Integer> isr = new ArrayList<>(away.isr());
    isr.add(silent);
    long rejoinedAt = System.nanoTime();
    ControllerResponse rejoined = cluster.send(leader, Requests.alterPartition(leader,
        back.brokers().get(leader).orElseThrow().epoch(), replicated.id(), preferredPartition, away.leaderEpoch(),
        away.partitionEpoch(), isr));
    assertThat(rejoined.getErrorReason()).isEmpty();
    ClusterImage rebalanced = await().atMost(TestCluster.TIMEOUT).pollInterval(Duration.ofMillis(10))
        .until(() -> cluster.quorum(silent).image(),
            image -> image.topics().byId(replicated.id()).orElseThrow().partition(preferredPartition).orElseThrow()
                .leader() == silent);
    LOG.info("MEASURED preferred leader {} leads again {} ms after it rejoined the ISR", silent,
        millisSince(rejoinedAt));
    PartitionRegistration preferred = rebalanced.topics().byId(replicated.id()).orElseThrow()
        .partition(preferredPartition).orElseThrow();
    assertThat(preferred.leaderEpoch()).isEqualTo(away.leaderEpoch() + 1);
    assertThat(preferred.isr()).containsExactlyInAnyOrder(1, 2, 3);
  }

  @Test
  void controlledShutdownMovesLeadershipsBeforeTheBrokerStops() {
    startAndAwaitUnfenced();
    assertThat(cluster.send(1, Requests.createTopic("replicated", 6, 2)).getErrorReason()).isEmpty();
    int leaving = cluster.awaitLeader().nodeId() % 3 + 1;

    long start = System.nanoTime();
    boolean acknowledged = cluster.broker(leaving).lifecycle().controlledShutdown(Duration.ofSeconds(10))
        .orTimeout(20, TimeUnit.SECONDS).join();
    LOG.info("MEASURED controlled shutdown of broker {} took {} ms", leaving, millisSince(start));

    assertThat(acknowledged).isTrue();
    // The broker's own image already shows it: the leaving broker can stop its replicas now.
    ClusterImage own = cluster.quorum(leaving).image();
    assertThat(own.brokers().get(leaving).orElseThrow().inControlledShutdown()).isTrue();
    assertThat(own.topics().byName("replicated").orElseThrow().partitions().values())
        .allSatisfy(partition -> assertThat(partition.leader()).isNotIn(leaving, PartitionRegistration.NO_LEADER));
  }
}
