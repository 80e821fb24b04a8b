package dev.skein.broker.group;

import java.util.Comparator;

/** A partition of a user topic, as groups assign and commit them. */
public record TopicPartition(String topic, int partition) implements Comparable<TopicPartition> {

  private static final Comparator<TopicPartition> ORDER =
      Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  @Override
  public int compareTo(TopicPartition other) {
    return ORDER.compare(this, other);
  }

  @Override
  public String toString() {
    return topic + "-" + partition;
  }
}
