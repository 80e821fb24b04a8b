package dev.skein.metadata.image;

import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import org.pcollections.PSortedMap;
import org.pcollections.TreePMap;

/**
 * A topic and all of its partitions.
 *
 * <p>The partitions are a persistent sorted map: {@link #withPartition} makes the topic with one
 * registration changed in O(log partitions), sharing the rest with this one, so a metadata write
 * that touches one partition of a large topic does not copy the topic.
 *
 * @param id the topic's UUID: a topic deleted and created again under the same name gets a new one
 * @param internal internal topics (such as group offsets) are hidden from clients unless asked for
 * @param partitions unmodifiable, by partition number
 */
public record TopicImage(String id, String name, boolean internal, SortedMap<Integer, PartitionRegistration> partitions) {

  public TopicImage {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    partitions = partitions instanceof PSortedMap<Integer, PartitionRegistration> persistent
        ? persistent : TreePMap.from(partitions);
  }

  /** A topic without partitions yet. */
  public static TopicImage create(String id, String name, boolean internal) {
    return new TopicImage(id, name, internal, TreePMap.empty());
  }

  /** This topic with {@code partition}'s registration set to {@code registration}. */
  public TopicImage withPartition(int partition, PartitionRegistration registration) {
    Objects.requireNonNull(registration, "registration");
    return new TopicImage(id, name, internal, persistentPartitions().plus(partition, registration));
  }

  public Optional<PartitionRegistration> partition(int partition) {
    return Optional.ofNullable(partitions.get(partition));
  }

  public int partitionCount() {
    return partitions.size();
  }

  private PSortedMap<Integer, PartitionRegistration> persistentPartitions() {
    return (PSortedMap<Integer, PartitionRegistration>) partitions;
  }
}
