package dev.skein.metadata.image;

import static dev.skein.metadata.image.Records.brokerChange;
import static dev.skein.metadata.image.Records.cluster;
import static dev.skein.metadata.image.Records.isrChange;
import static dev.skein.metadata.image.Records.leaderChange;
import static dev.skein.metadata.image.Records.partition;
import static dev.skein.metadata.image.Records.producerIds;
import static dev.skein.metadata.image.Records.registerBroker;
import static dev.skein.metadata.image.Records.removeTopic;
import static dev.skein.metadata.image.Records.topic;
import static dev.skein.metadata.image.Records.topicConfig;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.proto.internal.v1.MetadataRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class BatchApplierTest {

  private static ClusterImage applied(ClusterImage image, long offset, MetadataRecord... records) {
    ApplyOutcome outcome = BatchApplier.apply(image, List.of(records), offset);
    assertThat(outcome).as("outcome of batch at %d", offset).isInstanceOf(ApplyOutcome.Applied.class);
    return outcome.image();
  }

  /** Three brokers (epochs 1, 2, 3, unfenced) and topic "t" (id t-id) with partition 0 on [1, 2, 3]. */
  private static ClusterImage base() {
    ClusterImage image = applied(ClusterImage.EMPTY, 1, registerBroker(1));
    image = applied(image, 2, registerBroker(2));
    image = applied(image, 3, registerBroker(3));
    image = applied(image, 4, brokerChange(1, 1, false, null), brokerChange(2, 2, false, null),
        brokerChange(3, 3, false, null));
    return applied(image, 6, topic("t-id", "t"), partition("t-id", 0, List.of(1, 2, 3), 1));
  }

  @Test
  void theSameRecordsAlwaysGiveEqualImages() {
    ClusterImage first = base();
    ClusterImage second = base();
    assertThat(second).isEqualTo(first).isNotSameAs(first);
    assertThat(second.hashCode()).isEqualTo(first.hashCode());
    assertThat(first.offset()).isEqualTo(6);
  }

  @Test
  void aRegistrationsEpochIsItsOffsetAndItStartsFenced() {
    ClusterImage image = applied(ClusterImage.EMPTY, 17, registerBroker(4));
    BrokerRegistration broker = image.brokers().get(4).orElseThrow();
    assertThat(broker.epoch()).isEqualTo(17);
    assertThat(broker.fenced()).isTrue();
    assertThat(image.brokers().usableBrokerIds()).isEmpty();
  }

  @Test
  void aFailedPreconditionSkipsTheWholeBatch() {
    ClusterImage image = base();
    ApplyOutcome outcome = BatchApplier.apply(image, List.of(
        topic("u-id", "u"),
        partition("u-id", 0, List.of(1), 1),
        leaderChange("t-id", 0, 7, 2)), // stale partition epoch: it is 0
        9);
    assertThat(outcome).isInstanceOf(ApplyOutcome.Rejected.class);
    assertThat(((ApplyOutcome.Rejected) outcome).reason()).contains("partition epoch 0, not 7");
    assertThat(outcome.image()).isEqualTo(image.withOffset(9));
    assertThat(outcome.image().topics().byName("u")).isEmpty();
  }

  @Test
  void preconditionsOfEveryRecordKind() {
    ClusterImage image = base();
    assertRejected(image, topic("other-id", "t"), "already exists");
    assertRejected(image, topic("t-id", "other"), "is taken");
    assertRejected(image, partition("nope", 0, List.of(1), 1), "does not exist");
    assertRejected(image, partition("t-id", 0, List.of(1), 1), "exists");
    assertRejected(image, brokerChange(1, 99, true, null), "has epoch 1, not 99");
    assertRejected(image, brokerChange(9, 1, true, null), "not registered");
    assertRejected(image, removeTopic("nope"), "does not exist");
    assertRejected(image, topicConfig("nope", "retention.ms", "1"), "does not exist");
    assertRejected(image, isrChange("t-id", 0, 0, List.of(2, 3)), "leader 1 is not in ISR");
    assertRejected(image, isrChange("t-id", 0, 0, List.of(1, 4)), "not a subset");
    assertRejected(image, leaderChange("t-id", 1, 0, 1), "does not exist");
    ClusterImage withId = applied(image, 8, cluster("c1"));
    assertRejected(withId, cluster("c2"), "already c1");
    ClusterImage withIds = applied(image, 8, producerIds(1, 1000));
    assertRejected(withIds, producerIds(1000, 1000), "already allocated");
  }

  private static void assertRejected(ClusterImage image, MetadataRecord record, String reason) {
    ApplyOutcome outcome = BatchApplier.apply(image, List.of(record), image.offset() + 1);
    assertThat(outcome).as("applying %s", record).isInstanceOf(ApplyOutcome.Rejected.class);
    assertThat(((ApplyOutcome.Rejected) outcome).reason()).contains(reason);
  }

  @Test
  void leaderChangesBumpTheLeaderEpochAndEveryChangeThePartitionEpoch() {
    ClusterImage image = base();
    image = applied(image, 7, isrChange("t-id", 0, 0, List.of(1, 2)));
    PartitionRegistration partition = image.topics().byName("t").orElseThrow().partition(0).orElseThrow();
    assertThat(partition.leaderEpoch()).isZero();
    assertThat(partition.partitionEpoch()).isEqualTo(1);

    image = applied(image, 8, leaderChange("t-id", 0, 1, PartitionRegistration.NO_LEADER));
    partition = image.topics().byId("t-id").orElseThrow().partition(0).orElseThrow();
    assertThat(partition.leader()).isEqualTo(-1);
    assertThat(partition.leaderEpoch()).isEqualTo(1);
    assertThat(partition.partitionEpoch()).isEqualTo(2);

    image = applied(image, 9, leaderChange("t-id", 0, 2, 2));
    partition = image.topics().byId("t-id").orElseThrow().partition(0).orElseThrow();
    assertThat(partition.leader()).isEqualTo(2);
    assertThat(partition.leaderEpoch()).isEqualTo(2);
    assertThat(partition.partitionEpoch()).isEqualTo(3);
  }

  /** Whatever sequence of (valid or invalid) partition changes is applied, no epoch ever falls. */
  @RepeatedTest(20)
  void epochsOnlyGrow(RepetitionInfo repetition) {
    long seed = 7919L * repetition.getCurrentRepetition();
    Random random = new Random(seed);
    ClusterImage image = base();
    long offset = image.offset();
    for (int step = 0; step < 200; step++) {
      PartitionRegistration before = image.topics().byId("t-id").orElseThrow().partition(0).orElseThrow();
      int expected = random.nextInt(4) == 0 ? before.partitionEpoch() + 1 : before.partitionEpoch();
      List<Integer> isr = new ArrayList<>(List.of(1, 2, 3));
      isr.removeIf(broker -> random.nextBoolean());
      MetadataRecord change = random.nextBoolean()
          ? leaderChange("t-id", 0, expected, random.nextInt(5) - 1)
          : isrChange("t-id", 0, expected, isr);
      image = BatchApplier.apply(image, List.of(change), ++offset).image();
      PartitionRegistration after = image.topics().byId("t-id").orElseThrow().partition(0).orElseThrow();
      assertThat(after.leaderEpoch()).as("seed %d step %d", seed, step).isGreaterThanOrEqualTo(before.leaderEpoch());
      assertThat(after.partitionEpoch()).as("seed %d step %d", seed, step)
          .isGreaterThanOrEqualTo(before.partitionEpoch());
      if (after.leader() != before.leader()) {
        assertThat(after.leaderEpoch()).as("seed %d step %d", seed, step).isEqualTo(before.leaderEpoch() + 1);
      }
      if (after.hasLeader()) {
        assertThat(after.isr()).as("seed %d step %d", seed, step).contains(after.leader());
      }
    }
  }

  @Test
  void removingATopicRemovesItsConfigsAndFreesItsName() {
    ClusterImage image = applied(base(), 7, topicConfig("t-id", "retention.ms", "1000"));
    assertThat(image.configs().topicConfigs("t-id")).containsEntry("retention.ms", "1000");
    image = applied(image, 8, removeTopic("t-id"));
    assertThat(image.topics().byName("t")).isEmpty();
    assertThat(image.configs().configs()).isEmpty();
    image = applied(image, 9, topic("t-id-2", "t"), partition("t-id-2", 0, List.of(2), 2));
    assertThat(image.topics().byName("t").orElseThrow().id()).isEqualTo("t-id-2");
  }

  @Test
  void configsAreSetAndRemoved() {
    ClusterImage image = applied(base(), 7, topicConfig("t-id", "retention.ms", "1000"),
        topicConfig("t-id", "cleanup.policy", "compact"));
    image = applied(image, 8, topicConfig("t-id", "retention.ms", null));
    assertThat(image.configs().topicConfigs("t-id")).containsExactlyEntriesOf(java.util.Map.of("cleanup.policy", "compact"));
    ClusterImage removedAll = applied(image, 9, topicConfig("t-id", "cleanup.policy", null));
    assertThat(removedAll.configs()).isEqualTo(ConfigsImage.EMPTY);
  }

  @Test
  void unchangedPartsAreShared() {
    ClusterImage image = applied(base(), 7, topic("u-id", "u"), partition("u-id", 0, List.of(1), 1));
    ClusterImage next = applied(image, 8, isrChange("u-id", 0, 0, List.of(1)), registerBroker(4));
    assertThat(next.topics().byId("t-id").orElseThrow()).isSameAs(image.topics().byId("t-id").orElseThrow());
    assertThat(next.configs()).isSameAs(image.configs());
    assertThat(next.producerIds()).isSameAs(image.producerIds());
  }

  @Test
  void aChangeToOnePartitionOfALargeTopicSharesTheOthersAndLeavesTheBaseAsItWas() {
    List<MetadataRecord> create = new ArrayList<>(List.of(topic("big-id", "big")));
    for (int p = 0; p < 1000; p++) {
      create.add(partition("big-id", p, List.of(1, 2, 3), 1 + p % 3));
    }
    ClusterImage image = applied(base(), 7, create.toArray(MetadataRecord[]::new));
    TopicImage before = image.topics().byName("big").orElseThrow();

    ClusterImage next = applied(image, 8, isrChange("big-id", 500, 0, List.of(3)));

    TopicImage after = next.topics().byName("big").orElseThrow();
    assertThat(after).isSameAs(next.topics().byId("big-id").orElseThrow());
    assertThat(after.partition(500).orElseThrow().isr()).containsExactly(3);
    assertThat(before.partition(500).orElseThrow().isr()).containsExactly(1, 2, 3);
    assertThat(after.partitions().keySet()).containsExactlyElementsOf(before.partitions().keySet());
    for (int p = 0; p < 1000; p++) {
      if (p != 500) {
        assertThat(after.partitions().get(p)).isSameAs(before.partitions().get(p));
      }
    }
    assertThat(next.topics().byName("t").orElseThrow()).isSameAs(image.topics().byName("t").orElseThrow());
    assertThat(MetadataDelta.between(image, next).partitionChanges()).singleElement()
        .satisfies(change -> assertThat(change.partition()).isEqualTo(500));
  }

  @Test
  void aTopicCreatedAndChangedInOneBatchIsIndexedByNameAsBuilt() {
    ClusterImage image = applied(base(), 7, topic("u-id", "u"), partition("u-id", 0, List.of(1, 2), 1),
        isrChange("u-id", 0, 0, List.of(1)), removeTopic("t-id"), topic("t2-id", "t"),
        partition("t2-id", 0, List.of(2), 2));

    assertThat(image.topics().byName("u")).isEqualTo(image.topics().byId("u-id"));
    assertThat(image.topics().byName("u").orElseThrow().partition(0).orElseThrow().isr()).containsExactly(1);
    assertThat(image.topics().byName("t").orElseThrow().id()).isEqualTo("t2-id");
    assertThat(image.topics().byId("t-id")).isEmpty();
    assertThat(image.topics().size()).isEqualTo(2);
  }

  @Test
  void aBatchThatIsNotAValidSequenceNeverThrows() {
    ApplyOutcome outcome = BatchApplier.apply(base(), List.of(MetadataRecord.getDefaultInstance(),
        producerIds(Long.MAX_VALUE, Integer.MAX_VALUE)), 10);
    assertThat(outcome).isInstanceOf(ApplyOutcome.Rejected.class);
    outcome = BatchApplier.apply(base(), List.of(producerIds(Long.MAX_VALUE, Integer.MAX_VALUE)), 10);
    assertThat(outcome).isInstanceOf(ApplyOutcome.Rejected.class);
  }
}
