package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.FetchRequest;
import dev.skein.proto.v1.FetchedPartition;
import dev.skein.proto.v1.PartitionPosition;
import io.grpc.Channel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consumer fetches carry the leader epoch the client believes current (KIP-320), so a leader
 * in another epoch refuses them instead of answering for records it may not have. The bug
 * this prevents was found by the chaos suite: a leader cut off from the quorum answered
 * OFFSET_OUT_OF_RANGE for offsets its successor held, and a group member reset to offset 0.
 */
class LeaderEpochFetchTest {

  private static final String TOPIC = "epochs";

  @TempDir
  Path dir;

  @Test
  void aFetchNamingAnotherLeaderEpochIsRefusedWithARetriableReason() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      cluster.admin().createTopic(NewTopic.of(TOPIC, 1, 3).withConfigs(Map.of("min.insync.replicas", "2")));
      SkeinProducer producer = cluster.producer(Map.of("acks", "all"));
      for (int i = 0; i < 10; i++) {
        producer.send(ProducerRecord.of(TOPIC, "k", "v" + i)).join();
      }
      // Move leadership so the partition has an epoch before the current one.
      PartitionInfo before = cluster.admin().describeTopic(TOPIC).partition(0);
      cluster.stopBroker(before.leader());
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        PartitionInfo p = cluster.admin().describeTopic(TOPIC).partition(0);
        return p.hasLeader() && p.leader() != before.leader() && p.leaderEpoch() > before.leaderEpoch();
      });
      PartitionInfo now = cluster.admin().describeTopic(TOPIC).partition(0);
      Channel leader = cluster.channel(now.leader());
      await().atMost(Duration.ofSeconds(10)).until(() -> !fetch(leader, 0, now.leaderEpoch()).hasError());

      FetchedPartition current = fetch(leader, 0, now.leaderEpoch());
      assertThat(current.getHighWatermark()).isEqualTo(10);
      assertThat(current.getBatchesCount()).isPositive();

      FetchedPartition older = fetch(leader, 0, before.leaderEpoch());
      assertThat(older.getError().getReason()).isEqualTo("FENCED_LEADER_EPOCH");
      assertThat(older.getBatchesCount()).isZero();

      // What a deposed leader sees: a reader that knows of a newer epoch. Without the epoch,
      // an offset past this broker's end is out of range; with it, the broker admits it is behind.
      FetchedPartition newer = fetch(leader, 500, now.leaderEpoch() + 1);
      assertThat(newer.getError().getReason()).isEqualTo("UNKNOWN_LEADER_EPOCH");
      assertThat(newer.getError().getMessage()).contains("knows only " + now.leaderEpoch());
      FetchedPartition unchecked = ConsumerServiceGrpc.newBlockingStub(leader).fetch(FetchRequest.newBuilder()
          .addPartitions(PartitionPosition.newBuilder().setTopic(TOPIC).setPartition(0).setOffset(500)).build())
          .getPartitions(0);
      assertThat(unchecked.getError().getReason()).as("no epoch named: not checked").isEqualTo("OFFSET_OUT_OF_RANGE");

      // The Java consumer names the current epoch and reads everything across the leader change.
      try (SkeinConsumer consumer = cluster.consumer(Map.of("auto.offset.reset", "earliest"))) {
        consumer.assign(List.of(new TopicPartition(TOPIC, 0)));
        List<String> values = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
            values.add(r.valueString());
          }
          return values.size() >= 10;
        });
        assertThat(values).containsExactly("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
      }
    }
  }

  private static FetchedPartition fetch(Channel channel, long offset, int leaderEpoch) {
    return ConsumerServiceGrpc.newBlockingStub(channel).fetch(FetchRequest.newBuilder()
        .addPartitions(PartitionPosition.newBuilder().setTopic(TOPIC).setPartition(0).setOffset(offset)
            .setCurrentLeaderEpoch(leaderEpoch)).build()).getPartitions(0);
  }
}
