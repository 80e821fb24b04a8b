package dev.skein.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.skein.broker.BrokerException;
import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.group.GroupConfig;
import dev.skein.broker.group.GroupCoordinator;
import dev.skein.broker.group.OffsetsTopic;
import dev.skein.broker.produce.RecordSetValidator;
import dev.skein.broker.replica.Partition;
import dev.skein.client.NewTopic;
import dev.skein.client.OffsetAndMetadata;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.Acks;
import dev.skein.proto.v1.Compression;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordSet;
import dev.skein.rpc.ErrorReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica the broker lets go (its topic deleted) while callers still hold it: a produce, a fetch or
 * a group coordinator's write that found the partition a moment before must be refused with a
 * retriable error, never reach the closed log (which the client would see as an internal error).
 */
class RemovedReplicaTest {

  @TempDir
  Path dir;

  @Test
  void aPartitionHeldAcrossTheDeletionOfItsTopicRefusesWithARetriableError() {
    try (TestCluster cluster = TestCluster.start(dir, 1)) {
      cluster.admin().createTopic(NewTopic.of("doomed", 1, 1));
      cluster.producer(Map.of("acks", "all")).send(ProducerRecord.of("doomed", "k", "v").withPartition(0)).join();
      Partition held = ReplicaChecks.replica(cluster, 1, "doomed", 0);
      assertThat(held.isLeader()).isTrue();
      Path logDir = cluster.broker(1).config().logsDir().resolve("doomed-0");

      cluster.admin().deleteTopic("doomed");
      // The directory is renamed for deletion only after the log was closed.
      await().atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(logDir));

      long now = System.currentTimeMillis();
      RecordBatch batch = RecordBatch.newBuilder().setCompression(Compression.COMPRESSION_NONE)
          .setRecords(RecordSet.newBuilder().addRecords(Record.newBuilder().setValue(ByteString.copyFromUtf8("late")))
              .build().toByteString())
          .build();
      assertRefusedAsGone(() -> held.appendAsLeader(batch, new RecordSetValidator.Summary(1, now, now), Acks.ACKS_ALL));
      assertRefusedAsGone(() -> held.read(0, 1 << 20, true));
      assertRefusedAsGone(() -> held.readForFollower(0, 1 << 20));
      assertRefusedAsGone(() -> held.readLocal(0, 1 << 20, Long.MAX_VALUE));
      assertThat(held.isLeader()).as("a removed replica leads nothing").isFalse();
    }
  }

  @Test
  void aReCreatedOffsetsTopicKeepsNothingOfTheDeletedOnesGroups() {
    // One partition, so the group and the one used to re-create the topic land in the same shard.
    try (TestCluster cluster = TestCluster.start(dir, 1, GroupConfig.DEFAULT.withOffsetsTopic(1, 1))) {
      cluster.admin().createTopic(NewTopic.of("input", 1, 1));
      TopicPartition input = new TopicPartition("input", 0);
      SkeinConsumer committer = cluster.consumer(Map.of("group.id", "before"));
      committer.commitSync(Map.of(input, OffsetAndMetadata.of(7)));
      GroupCoordinator coordinator = cluster.broker(1).groupCoordinator();
      assertThat(coordinator.fetchOffsets("before")).hasSize(1);
      Partition old = ReplicaChecks.replica(cluster, 1, OffsetsTopic.NAME, 0);

      cluster.admin().deleteTopic(OffsetsTopic.NAME);
      await().atMost(Duration.ofSeconds(30))
          .until(() -> cluster.broker(1).replicas().partition(OffsetsTopic.NAME, 0).isEmpty());
      // Any group call creates the topic again: a new topic id, a new log, leader epoch 0 as before.
      coordinator.findCoordinator("after").join();
      await().atMost(Duration.ofSeconds(30)).until(() -> cluster.broker(1).replicas()
          .partition(OffsetsTopic.NAME, 0).filter(p -> p != old && p.isLeader()).isPresent());

      assertThat(coordinator.fetchOffsets("before")).as("offsets of the deleted topic's group").isEmpty();
    }
  }

  private static void assertRefusedAsGone(ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOfSatisfying(BrokerException.class,
        e -> assertThat(e.error().reason()).isEqualTo(ErrorReason.LEADER_NOT_AVAILABLE));
  }
}
