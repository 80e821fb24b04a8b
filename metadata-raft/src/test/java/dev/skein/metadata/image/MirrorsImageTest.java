package dev.skein.metadata.image;

import static dev.skein.metadata.image.Records.partition;
import static dev.skein.metadata.image.Records.registerBroker;
import static dev.skein.metadata.image.Records.removeTopic;
import static dev.skein.metadata.image.Records.topic;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.proto.internal.v1.MetadataRecord;
import dev.skein.proto.internal.v1.MirrorLinkRecord;
import dev.skein.proto.internal.v1.MirrorTopicRecord;
import dev.skein.proto.internal.v1.RemoveMirrorLinkRecord;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class MirrorsImageTest {

  static MetadataRecord link(String name, boolean paused) {
    return MetadataRecord.newBuilder().setMirrorLink(MirrorLinkRecord.newBuilder().setName(name)
        .addSourceBootstrap("src:9092").addTopics("orders").setPaused(paused)).build();
  }

  static MetadataRecord mirrorTopic(String topicId, String link, boolean promoted) {
    return MetadataRecord.newBuilder().setMirrorTopic(MirrorTopicRecord.newBuilder().setTopicId(topicId)
        .setLink(link).setPromoted(promoted)).build();
  }

  private static ClusterImage base() {
    return BatchApplier.apply(ClusterImage.EMPTY, List.of(registerBroker(1), topic("t1", "orders"),
        partition("t1", 0, List.of(1), 1), topic("t2", "other"), partition("t2", 0, List.of(1), 1),
        link("dr", false), mirrorTopic("t1", "dr", false)), 3).image();
  }

  @Test
  void aMirrorTopicIsReadOnlyUntilPromotedAndTheImageSnapshotsWithIt() throws Exception {
    ClusterImage image = base();
    assertThat(image.mirrors().isReadOnly("t1")).isTrue();
    assertThat(image.mirrors().isReadOnly("t2")).isFalse();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageSnapshot.write(image, out);
    assertThat(ImageSnapshot.read(new ByteArrayInputStream(out.toByteArray()), image.offset())).isEqualTo(image);

    ApplyOutcome promoted = BatchApplier.apply(image, List.of(mirrorTopic("t1", "dr", true)), 4);
    assertThat(promoted.image().mirrors().isReadOnly("t1")).isFalse();
    assertThat(MetadataDelta.between(image, promoted.image()).mirrorsChanged()).isTrue();
  }

  @Test
  void deletingTheLinkOrTheTopicDropsTheMirrorTopic() {
    ClusterImage image = base();
    ClusterImage noLink = BatchApplier.apply(image, List.of(MetadataRecord.newBuilder().setRemoveMirrorLink(
        RemoveMirrorLinkRecord.newBuilder().setName("dr")).build()), 4).image();
    assertThat(noLink.mirrors().links()).isEmpty();
    assertThat(noLink.mirrors().isReadOnly("t1")).isFalse();
    ClusterImage noTopic = BatchApplier.apply(image, List.of(removeTopic("t1")), 4).image();
    assertThat(noTopic.mirrors().topics()).isEmpty();
    assertThat(noTopic.mirrors().links()).containsKey("dr");
  }

  @Test
  void aMirrorTopicNeedsItsLinkAndTopicAndKeepsItsLink() {
    ClusterImage image = base();
    assertThat(BatchApplier.apply(image, List.of(mirrorTopic("t2", "nope", false)), 4).image().mirrors()
        .topics()).doesNotContainKey("t2");
    assertThat(BatchApplier.apply(image, List.of(mirrorTopic("missing", "dr", false)), 4).image().mirrors()
        .topics()).doesNotContainKey("missing");
    ClusterImage twoLinks = BatchApplier.apply(image, List.of(link("other", false)), 4).image();
    assertThat(BatchApplier.apply(twoLinks, List.of(mirrorTopic("t1", "other", false)), 5).image().mirrors()
        .topic("t1").orElseThrow().link()).isEqualTo("dr");
  }
}
