package dev.skein.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.metadata.image.ClusterImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A fourth broker, not among the voters, follows the quorum as a Raft listener. */
class ListenerMemberTest {

  private static final Logger LOG = LoggerFactory.getLogger(ListenerMemberTest.class);

  @TempDir
  Path dir;

  @Test
  void aNonVotingBrokerFollowsEveryRecordSurvivesRestartsAndDoesNotVote() {
    try (TestCluster cluster = new TestCluster(dir, 3)) {
      cluster.startVoterBrokers();
      cluster.awaitLeader();
      cluster.awaitAllUnfenced();
      long joinStart = System.nanoTime();
      TestCluster.Broker fourth = cluster.startBroker(4);
      assertThat(fourth.quorum().isVoter()).isFalse();
      fourth.quorum().joined().orTimeout(30, TimeUnit.SECONDS).join();
      fourth.lifecycle().unfenced().orTimeout(30, TimeUnit.SECONDS).join();
      LOG.info("MEASURED listener joined and was unfenced {} ms after start",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - joinStart));

      // Requests through the listener reach the controller too, and the topic may use it.
      assertThat(cluster.send(4, Requests.createTopic("wide", 4, 4)).getErrorReason()).isEmpty();
      ClusterImage image = cluster.awaitConvergence();
      assertThat(image.brokers().get(4).orElseThrow().voter()).isFalse();
      assertThat(image.topics().byName("wide").orElseThrow().partitions().values())
          .allSatisfy(partition -> assertThat(partition.replicas()).contains(4));
      assertListedAsListener(cluster);

      // Restarted, it is already in the configuration and catches up on what it missed.
      cluster.stop(4);
      assertThat(cluster.send(1, Requests.createTopic("while-away", 1, 1)).getErrorReason()).isEmpty();
      TestCluster.Broker back = cluster.startBroker(4);
      back.lifecycle().unfenced().orTimeout(30, TimeUnit.SECONDS).join();
      assertThat(cluster.awaitConvergence().topics().byName("while-away")).isPresent();
      assertListedAsListener(cluster);

      // Losing the Raft leader does not stop the listener (a member outside the voters that
      // ran for election would shut itself down); it follows the new leader.
      int oldLeader = cluster.awaitLeader().nodeId();
      cluster.stop(oldLeader);
      await().atMost(TestCluster.TIMEOUT).until(() -> cluster.currentLeader() != null);
      int survivor = cluster.currentLeader().nodeId();
      // Sent right after an election, the request may be retried after its first try was applied
      // (the answer lost with a leadership change): then it finds its own topic, as in Kafka.
      assertThat(cluster.send(survivor, Requests.createTopic("new-leader", 1, 1)).getErrorReason())
          .isIn("", "TOPIC_ALREADY_EXISTS");
      assertThat(cluster.awaitConvergence().topics().byName("new-leader")).isPresent();
      assertThat(cluster.quorum(4).leaderId()).hasValue(survivor);

      // It does not count towards the majority: with it gone as well, the two voters left carry on.
      cluster.stop(4);
      long start = System.nanoTime();
      assertThat(cluster.send(survivor, Requests.createTopic("without-listener", 1, 1)).getErrorReason()).isEmpty();
      LOG.info("MEASURED create-topic with the listener and one voter down took {} ms",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }
  }

  /**
   * Ratis' ADD mode keeps only the listeners named in the request, so a second listener joining
   * that way silently dropped the first from the configuration: the first stopped receiving
   * metadata. Both must stay listeners and follow every record.
   */
  @Test
  void twoNonVotingBrokersBothStayListenersAndFollowEveryRecord() {
    try (TestCluster cluster = new TestCluster(dir, 3)) {
      cluster.startVoterBrokers();
      cluster.awaitLeader();
      cluster.awaitAllUnfenced();
      TestCluster.Broker fourth = cluster.startBroker(4);
      fourth.quorum().joined().orTimeout(30, TimeUnit.SECONDS).join();
      TestCluster.Broker fifth = cluster.startBroker(5);
      fifth.quorum().joined().orTimeout(30, TimeUnit.SECONDS).join();
      fourth.lifecycle().unfenced().orTimeout(30, TimeUnit.SECONDS).join();
      fifth.lifecycle().unfenced().orTimeout(30, TimeUnit.SECONDS).join();

      assertThat(cluster.send(1, Requests.createTopic("after-both-joined", 5, 5)).getErrorReason()).isEmpty();
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        assertThat(cluster.quorum(4).image().topics().byName("after-both-joined")).isPresent();
        assertThat(cluster.quorum(5).image().topics().byName("after-both-joined")).isPresent();
      });
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        QuorumStatus status = cluster.quorum(1).quorumStatus().orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(status.members()).filteredOn(member -> member.role() == QuorumStatus.Role.LISTENER)
            .extracting(QuorumStatus.Member::id).containsExactlyInAnyOrder(4, 5);
      });
    }
  }

  private static void assertListedAsListener(TestCluster cluster) {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      QuorumStatus status = cluster.quorum(4).quorumStatus().orTimeout(10, TimeUnit.SECONDS).join();
      assertThat(status.hasLeader()).isTrue();
      assertThat(status.members()).filteredOn(member -> member.role() == QuorumStatus.Role.LISTENER)
          .extracting(QuorumStatus.Member::id).containsExactly(4);
      assertThat(status.members()).filteredOn(member -> member.role() != QuorumStatus.Role.LISTENER)
          .extracting(QuorumStatus.Member::id).containsExactlyInAnyOrder(1, 2, 3);
      assertThat(status.members()).filteredOn(member -> member.id() == 4).singleElement()
          .satisfies(member -> assertThat(member.commitIndex()).isPositive());
    });
  }
}
