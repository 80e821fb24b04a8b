package dev.skein.metadata.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class TopicsImageTest {

  private static final PartitionRegistration ON_1 = new PartitionRegistration(List.of(1), List.of(1), 1, 0, 0);
  private static final PartitionRegistration ON_2 = new PartitionRegistration(List.of(2), List.of(2), 2, 0, 0);

  @Test
  void withAddsToBothIndexesAndLeavesTheOriginalAsItWas() {
    TopicImage orders = TopicImage.create("id-orders", "orders", false);
    TopicsImage one = TopicsImage.EMPTY.with(orders);
    TopicsImage two = one.with(TopicImage.create("id-audit", "audit", true));

    assertThat(one.size()).isEqualTo(1);
    assertThat(TopicsImage.EMPTY.size()).isZero();
    assertThat(two.byId("id-audit")).isPresent();
    assertThat(two.byName("audit")).isEqualTo(two.byId("id-audit"));
    assertThat(two.byName("orders").orElseThrow()).isSameAs(orders);
    assertThat(one.byName("audit")).isEmpty();
  }

  @Test
  void withReplacesTheTopicOfTheSameIdInBothIndexes() {
    TopicsImage image = TopicsImage.EMPTY.with(TopicImage.create("id-orders", "orders", false));
    TopicImage grown = image.byId("id-orders").orElseThrow().withPartition(0, ON_1);

    TopicsImage next = image.with(grown);

    assertThat(next.size()).isEqualTo(1);
    assertThat(next.byId("id-orders").orElseThrow()).isSameAs(grown);
    assertThat(next.byName("orders").orElseThrow()).isSameAs(grown);
    assertThat(image.byName("orders").orElseThrow().partitions()).isEmpty();
  }

  @Test
  void aNameBelongsToOneTopicId() {
    TopicsImage image = TopicsImage.EMPTY.with(TopicImage.create("id-1", "orders", false));

    assertThatThrownBy(() -> image.with(TopicImage.create("id-2", "orders", false)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("orders");
    assertThatThrownBy(() -> TopicsImage.of(Map.of("id-1", TopicImage.create("id-1", "orders", false),
        "id-2", TopicImage.create("id-2", "orders", false)))).isInstanceOf(IllegalArgumentException.class);
    // Once the first is removed, the name can be taken again by a new id.
    TopicsImage recreated = image.without("id-1").with(TopicImage.create("id-2", "orders", false));
    assertThat(recreated.byName("orders").orElseThrow().id()).isEqualTo("id-2");
    assertThat(recreated.byId("id-1")).isEmpty();
  }

  @Test
  void withoutRemovesFromBothIndexes() {
    TopicsImage image = TopicsImage.of(Map.of("id-1", TopicImage.create("id-1", "orders", false),
        "id-2", TopicImage.create("id-2", "audit", false)));

    TopicsImage next = image.without("id-1");

    assertThat(next.byId().keySet()).containsExactly("id-2");
    assertThat(next.byName().keySet()).containsExactly("audit");
    assertThat(image.without("no-such-id")).isSameAs(image);
    assertThat(image.size()).isEqualTo(2);
  }

  @Test
  void indexesAreUnmodifiable() {
    TopicsImage image = TopicsImage.EMPTY.with(TopicImage.create("id-1", "orders", false).withPartition(0, ON_1));

    assertThatThrownBy(() -> image.byId().remove("id-1")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> image.byName().put("x", image.byId().get("id-1")))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> image.byId().get("id-1").partitions().put(1, ON_2))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void withPartitionKeepsPartitionsInOrderAndSharesTheOthers() {
    TopicImage topic = TopicImage.create("id-1", "orders", false);
    for (int p : new int[] {5, 0, 12, 3}) {
      topic = topic.withPartition(p, ON_1);
    }

    TopicImage changed = topic.withPartition(3, ON_2);

    assertThat(changed.partitions().keySet()).containsExactly(0, 3, 5, 12);
    assertThat(changed.partition(3)).contains(ON_2);
    assertThat(topic.partition(3)).contains(ON_1);
    assertThat(changed.partitions().get(12)).isSameAs(topic.partitions().get(12));
  }

  @Test
  void aTopicBuiltFromAnyMapEqualsOneBuiltPartitionByPartition() {
    TreeMap<Integer, PartitionRegistration> partitions = new TreeMap<>(Map.of(0, ON_1, 1, ON_2));
    TopicImage fromMap = new TopicImage("id-1", "orders", false, partitions);
    TopicImage built = TopicImage.create("id-1", "orders", false).withPartition(1, ON_2).withPartition(0, ON_1);

    assertThat(fromMap).isEqualTo(built).hasSameHashCodeAs(built);
    partitions.put(2, ON_1);
    assertThat(fromMap.partitionCount()).as("a copy, not a view of the caller's map").isEqualTo(2);
  }
}
