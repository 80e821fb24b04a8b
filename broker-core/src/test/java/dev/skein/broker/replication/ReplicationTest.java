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
