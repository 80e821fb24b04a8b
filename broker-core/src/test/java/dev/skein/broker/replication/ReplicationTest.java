package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicDescription;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replication without faults: three replicas per partition, every acks level, replicas identical. */
class ReplicationTest {

  @TempDir
  static Path dir;
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void threeReplicasAgreeByteForByte() {
    TopicDescription topic = cluster.admin().createTopic(NewTopic.of("replicated", 3, 3)
        .withConfigs(Map.of("min.insync.replicas", "2")));
    for (PartitionInfo p : topic.partitions()) {
      assertThat(p.replicas()).hasSize(3).doesNotHaveDuplicates();
      assertThat(p.isr()).containsExactlyElementsOf(p.replicas());
      assertThat(p.leader()).isEqualTo(p.replicas().get(0));
    }
    SkeinProducer producer = cluster.producer(Map.of("acks", "all"));
    List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      sent.add(producer.send(ProducerRecord.of("replicated", "k" + (i % 97), "value-" + i)));
    }
    producer.flush();
    sent.forEach(f -> assertThat(f.join().offset()).isGreaterThanOrEqualTo(0));
    for (int p = 0; p < 3; p++) {
      ReplicaChecks.assertReplicasAgree(cluster, "replicated", p);
    }
    long total = 0;
    for (int p = 0; p < 3; p++) {
      total += ReplicaChecks.readAll(cluster, "replicated", p).size();
    }
    assertThat(total).isEqualTo(3_000);
  }

  /**
   * The first batch of a new leader epoch makes a follower write the epoch to its state store.
   * When one fetch response brings that to many partitions at once (a new topic's first records,
   * here held back until all are written), the follower fsyncs the store once for the response,
   * not once per partition.
   */
  @Test
  void followersSyncNewLeaderEpochsOncePerFetchResponseNotOncePerPartition() {
    int partitions = 150;
    cluster.admin().createTopic(NewTopic.of("many", partitions, 3));
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      for (int broker = 1; broker <= 3; broker++) {
        for (int p = 0; p < partitions; p++) {
          if (cluster.broker(broker).replicas().partition("many", p).isEmpty()) {
            return false;
          }
        }
      }
      return cluster.admin().describeTopic("many").partitions().stream().allMatch(p -> p.leader() >= 0);
    });
    long[] syncsBefore = new long[4];
    for (int broker = 1; broker <= 3; broker++) {
      syncsBefore[broker] = cluster.broker(broker).replicas().logManager().stateSyncs();
      for (int leader = 1; leader <= 3; leader++) {
        if (leader != broker) {
          cluster.broker(broker).replicas().faults().blockFetchesFrom(leader);
        }
      }
    }
    try {
      SkeinProducer producer = cluster.producer(Map.of("acks", "1"));
      List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        sent.add(producer.send(ProducerRecord.of("many", "k", "first").withPartition(p)));
      }
      producer.flush();
      sent.forEach(f -> assertThat(f.join().offset()).isZero());
    } finally {
      for (int broker = 1; broker <= 3; broker++) {
        cluster.broker(broker).replicas().faults().heal();
      }
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      for (int broker = 1; broker <= 3; broker++) {
        for (int p = 0; p < partitions; p++) {
          if (cluster.broker(broker).replicas().partition("many", p).orElseThrow().logEndOffset() != 1) {
            return false;
          }
        }
      }
      return true;
    });

    for (int broker = 1; broker <= 3; broker++) {
      int id = broker;
      long followed = cluster.admin().describeTopic("many").partitions().stream()
          .filter(p -> p.leader() != id).count();
      long syncs = cluster.broker(broker).replicas().logManager().stateSyncs() - syncsBefore[broker];
      // Each broker follows about 100 partitions, each of which took a new epoch: one sync
      // each before, now one per fetch response, from each of its two leaders.
      assertThat(followed).isGreaterThan(partitions / 2);
      assertThat(syncs).as("state store syncs of broker %d, which follows %d partitions", broker, followed)
          .isLessThan(followed / 4);
    }
  }

  @Test
  void everyAcksLevelIsAnswered() {
    cluster.admin().createTopic(NewTopic.of("acks", 1, 3));
    // acks=0 goes last: it promises nothing, so a record sent before the new leader has taken
    // its leadership is dropped, as in Kafka. Once acks=1 and acks=all were answered it must be stored.
    for (String acks : List.of("1", "all", "0")) {
      RecordMetadata m = cluster.producer(Map.of("acks", acks)).send(ProducerRecord.of("acks", "k", acks)).join();
      if (acks.equals("0")) {
        assertThat(m.offset()).as("acks=0 does not wait for an offset").isEqualTo(-1);
      } else {
        assertThat(m.offset()).isGreaterThanOrEqualTo(0);
      }
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> ReplicaChecks.readAll(cluster, "acks", 0).size() == 3);
    ReplicaChecks.assertReplicasAgree(cluster, "acks", 0);
  }
}
