package dev.skein.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.client.BrokerNode;
import dev.skein.client.ClusterDescription;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.TopicDescription;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.QuorumRole;
import dev.skein.storage.log.LogConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fourth broker that does not vote still gets all metadata and serves its partitions. */
class NonVotingBrokerTest {

  @TempDir
  Path dir;

  @Test
  void aListenerBrokerServesItsPartitionsAndShowsAsListener() {
    try (TestCluster cluster = TestCluster.start(dir, 4, 3, LogConfig.DEFAULT)) {
      TopicDescription topic = cluster.admin().createTopic(NewTopic.of("four", 8, 1));
      assertThat(topic.partitions()).extracting("leader").contains(4);
      // The listener's image equals the voters' (same topic as described through it).
      assertThat(cluster.broker(4).quorum().awaitOffset(cluster.broker(1).quorum().image().offset())
          .join().topics().byName("four")).isPresent();

      int partitionOnFour = topic.partitions().stream().filter(p -> p.leader() == 4).findFirst().orElseThrow()
          .partition();
      RecordMetadata sent = cluster.producer(Map.of())
          .send(new ProducerRecord("four", partitionOnFour, null, "hello".getBytes(), null, List.of())).join();
      SkeinConsumer consumer = cluster.consumer(Map.of());
      TopicPartition tp = new TopicPartition("four", partitionOnFour);
      consumer.assign(List.of(tp));
      consumer.seek(tp, sent.offset());
      List<ConsumerRecord> read = new ArrayList<>();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
        read.addAll(consumer.poll(Duration.ofMillis(200)));
        return !read.isEmpty();
      });
      assertThat(read.get(0).valueString()).isEqualTo("hello");

      ClusterDescription cluster4 = cluster.admin().describeCluster();
      assertThat(cluster4.brokers()).extracting(BrokerNode::voter).containsExactlyInAnyOrder(true, true, true, false);
      assertThat(cluster4.quorum().members()).anyMatch(m -> m.id() == 4 && m.role() == QuorumRole.QUORUM_ROLE_LISTENER);
      assertThat(cluster4.quorum().members().stream().filter(m -> m.role() != QuorumRole.QUORUM_ROLE_LISTENER))
          .hasSize(3);
    }
  }
}
