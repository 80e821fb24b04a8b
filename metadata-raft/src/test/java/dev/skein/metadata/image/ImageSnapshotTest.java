package dev.skein.metadata.image;

import static dev.skein.metadata.image.Records.brokerChange;
import static dev.skein.metadata.image.Records.cluster;
import static dev.skein.metadata.image.Records.partition;
import static dev.skein.metadata.image.Records.producerIds;
import static dev.skein.metadata.image.Records.registerBroker;
import static dev.skein.metadata.image.Records.topic;
import static dev.skein.metadata.image.Records.topicConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.proto.internal.v1.MetadataRecord;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageSnapshotTest {

  private static ClusterImage roundTrip(ClusterImage image) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageSnapshot.write(image, out);
    return ImageSnapshot.read(new ByteArrayInputStream(out.toByteArray()), image.offset());
  }

  @Test
  void theEmptyImageRoundTrips() throws IOException {
    assertThat(roundTrip(ClusterImage.EMPTY.withOffset(3))).isEqualTo(ClusterImage.EMPTY.withOffset(3));
  }

  @Test
  void everyPartOfAnImageRoundTrips() throws IOException {
    List<MetadataRecord> records = new ArrayList<>(List.of(cluster("c"), registerBroker(1), registerBroker(2),
        producerIds(1, 1999)));
    // More records than one snapshot batch holds.
    for (int t = 0; t < 30; t++) {
      records.add(topic("id-" + t, "topic-" + t));
      for (int p = 0; p < 40; p++) {
        records.add(partition("id-" + t, p, List.of(1 + p % 2, 2 - p % 2), 1 + p % 2));
      }
      records.add(topicConfig("id-" + t, "retention.ms", String.valueOf(t)));
    }
    ClusterImage image = BatchApplier.apply(ClusterImage.EMPTY, records, 5).image();
    image = BatchApplier.apply(image, List.of(brokerChange(2, 5, false, true)), 8).image();
    assertThat(image.topics().size()).isEqualTo(30);

    ClusterImage restored = roundTrip(image);

    assertThat(restored).isEqualTo(image);
    assertThat(restored.brokers().get(2).orElseThrow().epoch()).isEqualTo(5);
    assertThat(restored.brokers().get(2).orElseThrow().inControlledShutdown()).isTrue();
    assertThat(restored.producerIds().nextProducerId()).isEqualTo(2000);
  }

  @Test
  void equalImagesGiveEqualSnapshots() throws IOException {
    ClusterImage a = BatchApplier.apply(ClusterImage.EMPTY, List.of(topic("x", "x"), topic("y", "y"),
        registerBroker(2), registerBroker(1)), 1).image();
    ClusterImage b = BatchApplier.apply(ClusterImage.EMPTY, List.of(registerBroker(1), topic("y", "y"),
        topic("x", "x"), registerBroker(2)), 1).image();
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    ByteArrayOutputStream second = new ByteArrayOutputStream();
    ImageSnapshot.write(a, first);
    ImageSnapshot.write(b, second);
    assertThat(first.toByteArray()).isEqualTo(second.toByteArray());
  }

  @Test
  void aCorruptSnapshotFailsToLoad() {
    byte[] garbage = {5, 1, 2, 3, 4, 5, 6, 7};
    assertThatThrownBy(() -> ImageSnapshot.read(new ByteArrayInputStream(garbage), 1)).isInstanceOf(IOException.class);
  }
}
