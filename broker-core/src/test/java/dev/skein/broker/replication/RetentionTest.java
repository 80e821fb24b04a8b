package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.replica.Partition;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.PartitionInfo;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinException;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.PartitionPosition;
import dev.skein.proto.v1.FetchRequest;
import dev.skein.rpc.ErrorReason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention and DeleteRecords on a replicated partition: the log start moves on the leader and
 * every follower (each applies retention to its own log and follows its leader's start),
 * offsets never change, a consumer below the start resets as configured, and deleted records
 * stay deleted across restarts and for a replica that was away.
 */
class RetentionTest {

  private static final String TOPIC = "retained";
  private static final TopicPartition TP = new TopicPartition(TOPIC, 0);

  @TempDir
  Path dir;

  @Test
  void sizeRetentionRemovesOldSegmentsOnEveryReplicaAndConsumersReset() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      cluster.admin().createTopic(NewTopic.of(TOPIC, 1, 3).withConfigs(Map.of(
          "segment.bytes", "2048", "retention.bytes", "8192")));
      produce(cluster, 0, 300);

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        for (int id : cluster.runningIds()) {
          Partition replica = ReplicaChecks.replica(cluster, id, TOPIC, 0);
          assertThat(replica.logStartOffset()).as("log start on broker %d", id).isPositive();
          assertThat(replica.logEndOffset()).isEqualTo(300);
        }
      });
      ReplicaChecks.assertReplicasAgree(cluster, TOPIC, 0);
      long start = leader(cluster).logStartOffset();

      // Every remaining record is where it was written.
      SkeinConsumer earliest = cluster.consumer(Map.of("auto.offset.reset", "earliest"));
      earliest.assign(List.of(TP));
      earliest.seek(TP, 0); // below the start: resets to it
      List<ConsumerRecord> read = readUntil(earliest, 300);
      assertThat(read.get(0).offset()).isEqualTo(start);
      read.forEach(r -> assertThat(r.valueString()).isEqualTo(value(r.offset())));

      SkeinConsumer strict = cluster.consumer(Map.of("auto.offset.reset", "none"));
      strict.assign(List.of(TP));
      strict.seek(TP, 0);
      assertThatThrownBy(() -> await().atMost(Duration.ofSeconds(10)).until(() -> !strict.poll(Duration.ofMillis(100))
          .isEmpty())).isInstanceOf(SkeinException.class)
          .satisfies(e -> assertThat(((SkeinException) e).reason()).contains(ErrorReason.OFFSET_OUT_OF_RANGE));
    }
  }

  @Test
  void deleteRecordsMovesTheStartOnEveryReplicaDurablyAndARejoiningReplicaFollows() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      cluster.admin().createTopic(NewTopic.of(TOPIC, 1, 3).withConfigs(Map.of("segment.bytes", "2048")));
      produce(cluster, 0, 200);
      PartitionInfo info = cluster.admin().describeTopic(TOPIC).partition(0);
      int away = info.replicas().stream().filter(id -> id != info.leader()).findFirst().orElseThrow();

      // Above the high watermark: refused, nothing deleted.
      assertThatThrownBy(() -> cluster.admin().deleteRecords(Map.of(TP, 1_000L)))
          .isInstanceOf(SkeinException.class).hasMessageContaining("between 0 and the high watermark 200");
      assertThat(leader(cluster).logStartOffset()).isZero();

      Map<TopicPartition, Long> result = cluster.admin().deleteRecords(Map.of(TP, 120L));
      assertThat(result.get(TP)).isGreaterThanOrEqualTo(120);
      // Answered once every in-sync replica applied it.
      for (int id : info.replicas()) {
        assertThat(ReplicaChecks.replica(cluster, id, TOPIC, 0).logStartOffset()).as("broker %d", id).isEqualTo(120);
      }
      var fetch = ConsumerServiceGrpc.newBlockingStub(cluster.channel(info.leader())).fetch(FetchRequest.newBuilder()
          .addPartitions(PartitionPosition.newBuilder().setTopic(TOPIC).setPartition(0).setOffset(119)).build());
      assertThat(fetch.getPartitions(0).getError().getReason()).isEqualTo("OFFSET_OUT_OF_RANGE");
      assertThat(fetch.getPartitions(0).getError().getMetadataMap()).containsEntry("log_start_offset", "120");

      // A replica that is away while more is deleted catches up with the start when it returns.
      cluster.stopBroker(away);
      produce(cluster, 200, 300);
      assertThat(cluster.admin().deleteRecords(Map.of(TP, 250L)).get(TP)).isEqualTo(250);
      cluster.startBroker(away);
      cluster.awaitReady();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(ReplicaChecks.replica(cluster, away, TOPIC, 0).logStartOffset()).isEqualTo(250));
      ReplicaChecks.assertReplicasAgree(cluster, TOPIC, 0);

      // Durable: a restart of the whole cluster keeps the start on every replica.
      cluster.restartAll();
      for (int id : info.replicas()) {
        assertThat(ReplicaChecks.replica(cluster, id, TOPIC, 0).logStartOffset()).as("broker %d", id).isEqualTo(250);
      }
      SkeinConsumer consumer = cluster.consumer(Map.of("auto.offset.reset", "earliest"));
      consumer.assign(List.of(TP));
      consumer.seekToBeginning(List.of(TP));
      List<ConsumerRecord> read = readUntil(consumer, 300);
      assertThat(read).extracting(ConsumerRecord::offset).first().isEqualTo(250L);
      read.forEach(r -> assertThat(r.valueString()).isEqualTo(value(r.offset())));
    }
  }

  private static Partition leader(TestCluster cluster) {
    return ReplicaChecks.replica(cluster, cluster.admin().describeTopic(TOPIC).partition(0).leader(), TOPIC, 0);
  }

  /** Values value(from)..value(to-1) to partition 0, acknowledged by every in-sync replica, in order. */
  private static void produce(TestCluster cluster, int from, int to) {
    SkeinProducer producer = cluster.producer(Map.of("acks", "all", "linger.ms", "0",
        "max.in.flight.requests.per.connection", "1"));
    for (int i = from; i < to; i++) {
      producer.send(ProducerRecord.of(TOPIC, null, value(i)).withPartition(0)).join();
    }
  }

  /** The value written at offset {@code i}: about 100 bytes, so a 2 KiB segment holds a few dozen. */
  private static String value(long i) {
    return "v" + i + "-" + "x".repeat(90);
  }

  private static List<ConsumerRecord> readUntil(SkeinConsumer consumer, long end) {
    List<ConsumerRecord> read = new ArrayList<>();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      read.addAll(consumer.poll(Duration.ofMillis(200)));
      return consumer.position(TP) >= end;
    });
    return read;
  }
}
