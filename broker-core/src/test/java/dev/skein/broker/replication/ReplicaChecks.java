package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.replica.Partition;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.PartitionInfo;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.TopicPartition;
import dev.skein.storage.log.LogReadResult;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Checks of the replication invariants that every fault test ends with. */
final class ReplicaChecks {

  private ReplicaChecks() {}

  /**
   * Waits until every replica of the partition is in the ISR and has the leader's whole log,
   * then checks that all replicas hold byte-identical logs up to the high watermark.
   */
  static void assertReplicasAgree(TestCluster cluster, String topic, int partition) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
      PartitionInfo info = cluster.admin().describeTopic(topic).partition(partition);
      assertThat(info.hasLeader()).isTrue();
      assertThat(info.isr()).containsExactlyInAnyOrderElementsOf(info.replicas());
      Partition leader = replica(cluster, info.leader(), topic, partition);
      long leaderEnd = leader.logEndOffset();
      assertThat(leader.highWatermark()).isEqualTo(leaderEnd);
      for (int id : info.replicas()) {
        assertThat(replica(cluster, id, topic, partition).logEndOffset()).as("log end of replica %d", id)
            .isEqualTo(leaderEnd);
      }
    });
    PartitionInfo info = cluster.admin().describeTopic(topic).partition(partition);
    Partition leader = replica(cluster, info.leader(), topic, partition);
    // Retention and deleted records may have moved log starts: compare what every replica still has.
    long from = info.replicas().stream().mapToLong(id -> replica(cluster, id, topic, partition).logStartOffset())
        .max().orElse(0);
    byte[] expected = bytes(leader, from, leader.highWatermark());
    for (int id : info.replicas()) {
      assertThat(bytes(replica(cluster, id, topic, partition), from, leader.highWatermark()))
          .as("replica %d of %s-%d is byte-identical to the leader's from %d up to the high watermark", id, topic,
              partition, from)
          .isEqualTo(expected);
    }
  }

  static Partition replica(TestCluster cluster, int brokerId, String topic, int partition) {
    return cluster.broker(brokerId).replicas().partition(topic, partition).orElseThrow();
  }

  private static byte[] bytes(Partition replica, long from, long upTo) {
    List<ByteBuffer> chunks = new ArrayList<>();
    long offset = from;
    int total = 0;
    while (offset < upTo) {
      LogReadResult read = replica.readLocal(offset, 4 * 1024 * 1024, upTo);
      if (read.isEmpty()) {
        break;
      }
      chunks.add(read.entries().duplicate());
      total += read.sizeInBytes();
      offset = read.nextOffset();
    }
    byte[] all = new byte[total];
    int at = 0;
    for (ByteBuffer chunk : chunks) {
      int n = chunk.remaining();
      chunk.get(all, at, n);
      at += n;
    }
    return all;
  }

  /** Every record of the partition from the beginning to its current end, by offset. */
  static Map<Long, String> readAll(TestCluster cluster, String topic, int partition) {
    SkeinConsumer consumer = cluster.consumer(Map.of("max.poll.records", "5000"));
    TopicPartition tp = new TopicPartition(topic, partition);
    consumer.assign(List.of(tp));
    consumer.seekToBeginning(List.of(tp));
    long end = consumer.endOffsets(List.of(tp)).get(tp);
    Map<Long, String> records = new HashMap<>();
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
        records.put(r.offset(), r.valueString());
      }
      return consumer.position(tp) >= end;
    });
    return records;
  }
}
