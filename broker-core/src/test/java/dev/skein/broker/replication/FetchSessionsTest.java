package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.replica.Partition;
import dev.skein.broker.replica.ReplicationStats;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinProducer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Follower fetches are incremental (fetch sessions, KIP-227): with many idle partitions
 * between two brokers, each request lists only the partitions whose fetch state changed and
 * each response only those with something new, yet followers still learn every change.
 */
class FetchSessionsTest {

  private static final int IDLE_PARTITIONS = 120;

  @TempDir
  static Path dir;
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3);
    cluster.admin().createTopic(NewTopic.of("idle", IDLE_PARTITIONS, 3));
    cluster.admin().createTopic(NewTopic.of("busy", 1, 3));
    await().atMost(Duration.ofSeconds(60)).until(() -> fullyReplicated("idle", IDLE_PARTITIONS)
        && fullyReplicated("busy", 1));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static boolean fullyReplicated(String topic, int partitions) {
    return cluster.admin().describeTopic(topic).partitions().stream()
        .allMatch(p -> p.leader() >= 0 && p.isr().size() == 3);
  }

  private record Totals(long fetches, long asked, long answered) {
    static Totals now() {
      long fetches = 0;
      long asked = 0;
      long answered = 0;
      for (int broker = 1; broker <= 3; broker++) {
        ReplicationStats stats = cluster.broker(broker).replicas().stats();
        fetches += stats.followerFetches();
        asked += stats.followerFetchPartitionsAsked();
        answered += stats.followerFetchPartitionsAnswered();
      }
      return new Totals(fetches, asked, answered);
    }

    Totals minus(Totals before) {
      return new Totals(fetches - before.fetches, asked - before.asked, answered - before.answered);
    }
  }

  @Test
  void fetchesBetweenBusyBrokersListOnlyThePartitionsThatChanged() {
    Totals before = Totals.now();
    SkeinProducer producer = cluster.producer(Map.of("acks", "all"));
    for (int i = 0; i < 200; i++) {
      // One at a time: each record needs a round of follower fetches before it is acknowledged.
      producer.send(ProducerRecord.of("busy", "k", "v" + i)).join();
    }
    Totals during = Totals.now().minus(before);

    // Each leader follows about 40 idle partitions per follower, which a full request would
    // list every time; only the busy partition's fetch offset keeps changing.
    assertThat(during.fetches()).isGreaterThanOrEqualTo(200);
    assertThat((double) during.asked() / during.fetches()).as("partitions per request").isLessThan(2.0);
    assertThat((double) during.answered() / during.fetches()).as("partitions per response").isLessThan(2.0);
    for (int broker = 1; broker <= 3; broker++) {
      assertThat(partition(broker, "busy", 0).logEndOffset()).isEqualTo(200);
    }
  }

  @Test
  void aFollowerLearnsAHighWatermarkThatMovedAfterItsDataArrived() {
    // The follower gets the record while the high watermark is still below it, and learns the
    // new high watermark only from a later response that carries no data for the partition.
    int target = 17;
    SkeinProducer producer = cluster.producer(Map.of("acks", "all"));
    producer.send(ProducerRecord.of("idle", "k", "v").withPartition(target)).join();

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (int broker = 1; broker <= 3; broker++) {
        assertThat(partition(broker, "idle", target).highWatermark()).as("broker %d", broker).isEqualTo(1);
      }
    });
  }

  @Test
  void aFollowerThatRestartsGetsAFullSessionAndCatchesUp() {
    int target = 42;
    int leader = cluster.admin().describeTopic("idle").partitions().get(target).leader();
    int follower = leader % 3 + 1;
    cluster.stopBroker(follower);
    SkeinProducer producer = cluster.producer(Map.of("acks", "1"));
    for (int i = 0; i < 10; i++) {
      producer.send(ProducerRecord.of("idle", "k", "w" + i).withPartition(target)).join();
    }
    cluster.startBroker(follower);

    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      long leaderEnd = partition(leader, "idle", target).logEndOffset();
      Optional<Partition> replica = cluster.broker(follower).replicas().partition("idle", target);
      assertThat(replica).as("the restarted broker has loaded its replica").isPresent();
      assertThat(replica.get().logEndOffset()).isEqualTo(leaderEnd);
      assertThat(replica.get().highWatermark()).isEqualTo(leaderEnd);
    });
    ReplicaChecks.assertReplicasAgree(cluster, "idle", target);
  }

  private static Partition partition(int broker, String topic, int partition) {
    return cluster.broker(broker).replicas().partition(topic, partition).orElseThrow();
  }
}
