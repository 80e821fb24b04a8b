package dev.skein.metadata.image;

import static dev.skein.metadata.image.Records.brokerChange;
import static dev.skein.metadata.image.Records.leaderChange;
import static dev.skein.metadata.image.Records.partition;
import static dev.skein.metadata.image.Records.registerBroker;
import static dev.skein.metadata.image.Records.removeTopic;
import static dev.skein.metadata.image.Records.topic;
import static dev.skein.metadata.image.Records.topicConfig;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.proto.internal.v1.MetadataRecord;
import java.util.List;
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
}
