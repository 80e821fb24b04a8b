package dev.skein.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.BrokerInfo;
import dev.skein.proto.v1.GetMetadataResponse;
import dev.skein.proto.v1.PartitionMetadata;
import dev.skein.proto.v1.TopicMetadata;
import org.junit.jupiter.api.Test;

/** The client's metadata never goes back to an older leader epoch (KIP-320). */
class MetadataCacheTest {

  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);

  @Test
  void anAnswerFromABrokerThatIsBehindKeepsTheNewerLeaders() {
    MetadataCache.Snapshot known = MetadataCache.toSnapshot(answer("id-1", partition(0, 4, 7), partition(1, 5, 2)),
        MetadataCache.Snapshot.EMPTY);
    // A broker cut off from the quorum still sees itself (broker 2) leading partition 0 in epoch 6;
    // partition 1 really moved on to epoch 3 meanwhile.
    MetadataCache.Snapshot stale = MetadataCache.toSnapshot(answer("id-1", partition(0, 2, 6), partition(1, 4, 3)),
        known);

    assertThat(stale.leaderEpochOf(P0)).isEqualTo(7);
    assertThat(stale.leaderOf(P0)).hasValueSatisfying(a -> assertThat(a.port()).isEqualTo(9004));
    assertThat(stale.leaderEpochOf(P1)).isEqualTo(3);
    assertThat(stale.leaderOf(P1)).hasValueSatisfying(a -> assertThat(a.port()).isEqualTo(9004));
  }

  @Test
  void anEqualEpochTakesTheFreshAnswer() {
    MetadataCache.Snapshot known = MetadataCache.toSnapshot(answer("id-1", partition(0, 4, 7)),
        MetadataCache.Snapshot.EMPTY);
    MetadataCache.Snapshot fresh = MetadataCache.toSnapshot(answer("id-1",
        PartitionMetadata.newBuilder().setPartition(0).setLeaderId(4).setLeaderEpoch(7).addReplicas(4).addIsr(4)
            .build()), known);
    assertThat(fresh.topics().get("t").partition(0).isr()).containsExactly(4);
  }

  @Test
  void aTopicCreatedAgainStartsItsEpochsOver() {
    MetadataCache.Snapshot known = MetadataCache.toSnapshot(answer("id-1", partition(0, 4, 7)),
        MetadataCache.Snapshot.EMPTY);
    MetadataCache.Snapshot recreated = MetadataCache.toSnapshot(answer("id-2", partition(0, 2, 0)), known);
    assertThat(recreated.leaderEpochOf(P0)).isZero();
    assertThat(recreated.leaderOf(P0)).hasValueSatisfying(a -> assertThat(a.port()).isEqualTo(9002));
  }

  @Test
  void anUnknownPartitionHasNoEpoch() {
    MetadataCache.Snapshot known = MetadataCache.toSnapshot(answer("id-1", partition(0, 4, 7)),
        MetadataCache.Snapshot.EMPTY);
    assertThat(known.leaderEpochOf(P1)).isEqualTo(-1);
    assertThat(known.leaderEpochOf(new TopicPartition("other", 0))).isEqualTo(-1);
  }

  private static PartitionMetadata partition(int partition, int leader, int epoch) {
    return PartitionMetadata.newBuilder().setPartition(partition).setLeaderId(leader).setLeaderEpoch(epoch)
        .addReplicas(2).addReplicas(4).addReplicas(5).addIsr(2).addIsr(4).addIsr(5).build();
  }

  private static GetMetadataResponse answer(String topicId, PartitionMetadata... partitions) {
    GetMetadataResponse.Builder response = GetMetadataResponse.newBuilder().setClusterId("c");
    for (int id : new int[] {2, 4, 5}) {
      response.addBrokers(BrokerInfo.newBuilder().setId(id).setHost("localhost").setPort(9000 + id)
          .setState(dev.skein.proto.v1.BrokerState.BROKER_STATE_RUNNING));
    }
    TopicMetadata.Builder topic = TopicMetadata.newBuilder().setName("t").setTopicId(topicId);
    for (PartitionMetadata p : partitions) {
      topic.addPartitions(p);
    }
    return response.addTopics(topic).build();
  }
}
