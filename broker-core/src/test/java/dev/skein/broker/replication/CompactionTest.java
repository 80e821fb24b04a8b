package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.CodedInputStream;
import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.replica.Partition;
import dev.skein.client.ConfigEntry;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.Compression;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordSet;
import dev.skein.rpc.RecordCompression;
import dev.skein.storage.log.LogReadResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cleanup.policy=compact on a replicated partition: every replica compacts its own log, offsets stay where
 * they were written, replicas agree record for record, and consumers read the compacted log (gaps, emptied
 * batches, compressed batches) to each key's last value, tombstones included.
 */
class CompactionTest {

  private static final String TOPIC = "compacted";
  private static final TopicPartition TP = new TopicPartition(TOPIC, 0);

  @TempDir
  Path dir;

  /** A record as a replica stores it. */
  record Stored(long offset, String key, String value) {}

  @Test
  void everyReplicaCompactsAndTheyAgreeRecordForRecord() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      cluster.admin().createTopic(NewTopic.of(TOPIC, 1, 3).withConfigs(compacted()));
      SkeinProducer producer = cluster.producer(Map.of("acks", "all", "linger.ms", "5", "compression.type", "lz4"));
      Map<String, String> latest = new HashMap<>();
      produceKeyed(producer, 0, 1500, latest);

      awaitCompactedAndAgreeing(cluster, cluster.admin().describeTopic(TOPIC).partition(0).replicas());
      assertConsumerReadsLatest(cluster, 1500, latest);
    }
  }

  @Test
  void aReplicaOfflineDuringCleaningCatchesUpAndEndsWithTheSameRecords() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      cluster.admin().createTopic(NewTopic.of(TOPIC, 1, 3).withConfigs(compacted()));
      SkeinProducer producer = cluster.producer(Map.of("acks", "all", "linger.ms", "5"));
      Map<String, String> latest = new HashMap<>();
      produceKeyed(producer, 0, 500, latest);
      List<Integer> replicas = cluster.admin().describeTopic(TOPIC).partition(0).replicas();
      int leader = cluster.admin().describeTopic(TOPIC).partition(0).leader();
      int offline = replicas.stream().filter(id -> id != leader).findFirst().orElseThrow();
      long offlineEnd = ReplicaChecks.replica(cluster, offline, TOPIC, 0).logEndOffset();

      // The leader and the other follower clean a log that grows while the third replica is away.
      cluster.stopBroker(offline);
      produceKeyed(producer, 500, 1500, latest);
      List<Integer> online = replicas.stream().filter(id -> id != offline).toList();
      awaitCompactedAndAgreeing(cluster, online);

      cluster.startBroker(offline);
      awaitCompactedAndAgreeing(cluster, replicas);
      assertThat(ReplicaChecks.replica(cluster, offline, TOPIC, 0).logEndOffset())
          .as("the returning replica had %d records and caught up with the rest", offlineEnd).isEqualTo(1500);
      assertConsumerReadsLatest(cluster, 1500, latest);
    }
  }

  @Test
  void compactionTurnedOnWhileRunningCleansTheLogAndStaysOnAfterARestart() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      Map<String, String> deleting = new HashMap<>(compacted());
      deleting.remove("cleanup.policy");
      cluster.admin().createTopic(NewTopic.of(TOPIC, 1, 3).withConfigs(deleting));
      SkeinProducer producer = cluster.producer(Map.of("acks", "all", "linger.ms", "5"));
      Map<String, String> latest = new HashMap<>();
      produceKeyed(producer, 0, 1500, latest);
      List<Integer> replicas = cluster.admin().describeTopic(TOPIC).partition(0).replicas();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        for (int id : replicas) {
          assertThat(stored(ReplicaChecks.replica(cluster, id, TOPIC, 0))).as("broker %d before compaction", id)
              .hasSize(1500);
        }
      });

      cluster.admin().alterTopicConfigs(TOPIC, Map.of("cleanup.policy", "compact"), List.of());
      awaitCompactedAndAgreeing(cluster, replicas);

      cluster.restartAll();
      assertThat(cluster.admin().describeTopicConfigs(TOPIC)).contains(
          new ConfigEntry("cleanup.policy", "compact", ConfigEntry.Source.TOPIC));
      // More writes after the restart are cleaned too: the policy came back from the metadata quorum.
      produceKeyed(cluster.producer(Map.of("acks", "all", "linger.ms", "5")), 1500, 3000, latest);
      awaitCompactedAndAgreeing(cluster, replicas);
      assertConsumerReadsLatest(cluster, 3000, latest);
    }
  }

  private static Map<String, String> compacted() {
    return Map.of("cleanup.policy", "compact", "segment.bytes", "4096", "min.cleanable.dirty.ratio", "0.1");
  }

  /**
   * Writes records {@code from} up to {@code to} (their offsets, on an empty partition) over 40 keys, every 17th a
   * tombstone, and keeps {@code latest} as each key's last value.
   */
  private static void produceKeyed(SkeinProducer producer, int from, int to, Map<String, String> latest) {
    for (int i = from; i < to; i++) {
      String key = "key-" + (i % 40);
      String value = i % 17 == 0 ? null : "value-" + i + "-" + "x".repeat(40);
      producer.send(ProducerRecord.of(TOPIC, key, value).withPartition(0));
      if (value == null) {
        latest.remove(key);
      } else {
        latest.put(key, value);
      }
    }
    producer.flush();
  }

  /** Waits until each of the replicas holds far fewer records than were written, all the same ones. */
  private static void awaitCompactedAndAgreeing(TestCluster cluster, List<Integer> replicas) {
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      List<List<Stored>> stored = new ArrayList<>();
      for (int id : replicas) {
        List<Stored> records = stored(ReplicaChecks.replica(cluster, id, TOPIC, 0));
        assertThat(records.size()).as("records left on broker %d", id).isLessThan(500);
        stored.add(records);
      }
      for (int i = 1; i < stored.size(); i++) {
        assertThat(stored.get(i)).as("broker %d against broker %d", replicas.get(i), replicas.get(0))
            .isEqualTo(stored.get(0));
      }
    });
  }

  /** A consumer from the start sees each key's last value (or its tombstone) at its original offset. */
  private static void assertConsumerReadsLatest(TestCluster cluster, long end, Map<String, String> latest) {
    SkeinConsumer consumer = cluster.consumer(Map.of("auto.offset.reset", "earliest"));
    consumer.assign(List.of(TP));
    consumer.seekToBeginning(List.of(TP));
    Map<String, String> read = new HashMap<>();
    long[] previous = {-1};
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
        assertThat(r.offset()).isGreaterThan(previous[0]);
        previous[0] = r.offset();
        if (r.value() == null) {
          read.remove(r.keyString());
        } else {
          assertThat(r.valueString()).startsWith("value-" + r.offset() + "-");
          read.put(r.keyString(), r.valueString());
        }
      }
      return consumer.position(TP) >= end;
    });
    assertThat(read).isEqualTo(latest);
  }

  /** Every record the replica stores below its high watermark, decoded with the stock protobuf classes. */
  private static List<Stored> stored(Partition replica) throws IOException {
    List<Stored> out = new ArrayList<>();
    long offset = replica.logStartOffset();
    long hw = replica.highWatermark();
    while (offset < hw) {
      LogReadResult chunk = replica.readLocal(offset, 1 << 20, hw);
      if (chunk.isEmpty()) {
        break;
      }
      CodedInputStream in = CodedInputStream.newInstance(chunk.entries().duplicate());
      while (in.readTag() != 0) {
        RecordBatch batch = RecordBatch.parseFrom(in.readBytes());
        RecordSet set = RecordSet.parseFrom(RecordCompression.decompress(
            Compression.forNumber(batch.getCompressionValue()), batch.getRecords()));
        for (Record r : set.getRecordsList()) {
          out.add(new Stored(batch.getBaseOffset() + r.getOffsetDelta(), r.getKey().toStringUtf8(),
              r.hasValue() ? r.getValue().toStringUtf8() : null));
        }
      }
      offset = chunk.nextOffset();
    }
    return out;
  }
}
