package dev.skein.metadata.image;

import static dev.skein.metadata.image.Records.brokerChange;
import static dev.skein.metadata.image.Records.isrChange;
import static dev.skein.metadata.image.Records.leaderChange;
import static dev.skein.metadata.image.Records.partition;
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

class MetadataDeltaTest {

  private static ClusterImage apply(ClusterImage image, long offset, MetadataRecord... records) {
    return BatchApplier.apply(image, List.of(records), offset).image();
  }

  @Test
  void describesEachKindOfChange() {
    ClusterImage first = apply(ClusterImage.EMPTY, 1, registerBroker(1), registerBroker(2),
        topic("a", "alpha"), partition("a", 0, List.of(1, 2), 1), partition("a", 1, List.of(2, 1), 2),
        topic("b", "beta"), partition("b", 0, List.of(1), 1));
    ClusterImage second = apply(first, 2, brokerChange(1, 1, false, null), leaderChange("a", 1, 0, 1),
        removeTopic("b"), topic("c", "gamma"), partition("c", 0, List.of(2), 2), topicConfig("a", "retention.ms", "5"));

    MetadataDelta delta = MetadataDelta.between(first, second);

    assertThat(delta.isEmpty()).isFalse();
    assertThat(delta.brokerChanges()).containsOnlyKeys(1);
    assertThat(delta.brokerChanges().get(1).previous().fenced()).isTrue();
    assertThat(delta.brokerChanges().get(1).current().fenced()).isFalse();
    assertThat(delta.createdTopics()).extracting(TopicImage::name).containsExactly("gamma");
    assertThat(delta.deletedTopics()).extracting(TopicImage::name).containsExactly("beta");
    assertThat(delta.deletedTopics().get(0).partitions()).containsOnlyKeys(0);
    assertThat(delta.partitionChanges()).extracting(MetadataDelta.PartitionChange::topicName,
            MetadataDelta.PartitionChange::partition)
        .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("alpha", 1),
            org.assertj.core.groups.Tuple.tuple("gamma", 0));
    MetadataDelta.PartitionChange alpha1 = delta.partitionChanges().stream()
        .filter(change -> change.topicName().equals("alpha")).findFirst().orElseThrow();
    assertThat(alpha1.previous().leader()).isEqualTo(2);
    assertThat(alpha1.current().leader()).isEqualTo(1);
    assertThat(alpha1.leaderChanged()).isTrue();
    assertThat(delta.changedConfigs()).containsExactly(ConfigResource.topic("a"));
  }

  @Test
  void anOffsetAloneIsNoChange() {
    ClusterImage image = apply(ClusterImage.EMPTY, 1, registerBroker(1));
    assertThat(MetadataDelta.between(image, image.withOffset(9)).isEmpty()).isTrue();
  }

  @Test
  void fromTheEmptyImageEverythingIsNew() {
    ClusterImage image = apply(ClusterImage.EMPTY, 1, registerBroker(1), topic("a", "alpha"),
        partition("a", 0, List.of(1), 1));
    MetadataDelta delta = MetadataDelta.between(ClusterImage.EMPTY, image);
    assertThat(delta.brokerChanges().get(1).previous()).isNull();
    assertThat(delta.createdTopics()).hasSize(1);
    assertThat(delta.partitionChanges()).singleElement().satisfies(change -> assertThat(change.previous()).isNull());
  }

  /**
   * A batch's own delta, found from what its records touched, is what comparing the two whole
   * images finds: random batches of topic creations, removals, new partitions and partition
   * changes (some invalid, so whole batches are rejected), over a handful of topics.
   */
  @RepeatedTest(30)
  void aBatchsOwnDeltaIsWhatComparingTheWholeImagesFinds(RepetitionInfo repetition) {
    long seed = 104729L * repetition.getCurrentRepetition();
    Random random = new Random(seed);
    ClusterImage image = apply(ClusterImage.EMPTY, 1, registerBroker(1), registerBroker(2), registerBroker(3));
    int compared = 0;
    for (int step = 0; step < 100; step++) {
      List<MetadataRecord> batch = new ArrayList<>();
      ClusterImage sofar = image;
      for (int r = random.nextInt(4) + 1; r > 0; r--) {
        // Each record is made against the image as the batch has left it so far.
        batch.add(randomRecord(random, sofar));
        sofar = BatchApplier.apply(image, batch, image.offset() + 1).image();
      }
      ApplyOutcome outcome = BatchApplier.apply(image, batch, image.offset() + 1);
      if (outcome instanceof ApplyOutcome.Applied applied) {
        assertDeltasAgree(applied.delta(), MetadataDelta.between(image, applied.image()), seed, step);
        compared++;
      }
      image = outcome.image();
    }
    assertThat(compared).as("batches applied (seed %d)", seed).isGreaterThan(20);
  }

  /** A record that mostly (not always) holds against {@code image}: about one in ten is invalid. */
  private static MetadataRecord randomRecord(Random random, ClusterImage image) {
    boolean valid = random.nextInt(10) > 0;
    List<TopicImage> topics = new ArrayList<>(image.topics().byId().values());
    topics.sort(java.util.Comparator.comparing(TopicImage::id));
    TopicImage topic = topics.isEmpty() ? null : topics.get(random.nextInt(topics.size()));
    int kind = topic == null ? 0 : random.nextInt(6);
    List<Integer> replicas = List.of(1, 2, 3);
    switch (kind) {
      case 0 -> {
        String id = "id-" + random.nextInt(1000);
        return topic(id, valid ? "name-" + id : topic == null ? "taken" : topic.name());
      }
      case 1 -> {
        return removeTopic(valid ? topic.id() : "no-such-id");
      }
      case 2 -> {
        int next = topic.partitionCount();
        return partition(topic.id(), valid ? next : Math.max(0, next - 1), replicas, 1 + random.nextInt(3));
      }
      default -> {
        if (topic.partitionCount() == 0) {
          return partition(topic.id(), 0, replicas, 1);
        }
        int partition = random.nextInt(topic.partitionCount());
        int epoch = topic.partition(partition).orElseThrow().partitionEpoch() + (valid ? 0 : 1);
        int leader = topic.partition(partition).orElseThrow().leader();
        return random.nextBoolean()
            ? leaderChange(topic.id(), partition, epoch, 1 + random.nextInt(3))
            : isrChange(topic.id(), partition, epoch, leader == 3 ? List.of(3) : List.of(1, 2).contains(leader)
                ? List.of(leader, 3) : replicas);
      }
    }
  }

  private static void assertDeltasAgree(MetadataDelta fromRecords, MetadataDelta fromImages, long seed, int step) {
    String where = "seed " + seed + " step " + step;
    assertThat(fromRecords.createdTopics()).as(where).containsExactlyInAnyOrderElementsOf(fromImages.createdTopics());
    assertThat(fromRecords.deletedTopics()).as(where).containsExactlyInAnyOrderElementsOf(fromImages.deletedTopics());
    assertThat(fromRecords.partitionChanges()).as(where)
        .containsExactlyInAnyOrderElementsOf(fromImages.partitionChanges());
    assertThat(fromRecords.brokerChanges()).as(where).isEqualTo(fromImages.brokerChanges());
    assertThat(fromRecords.isEmpty()).as(where).isEqualTo(fromImages.isEmpty());
  }
}
