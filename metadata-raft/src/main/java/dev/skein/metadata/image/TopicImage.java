package dev.skein.metadata.image;

import java.util.Collections;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A topic and all of its partitions.
 *
 * @param id the topic's UUID: a topic deleted and created again under the same name gets a new one
 * @param internal internal topics (such as group offsets) are hidden from clients unless asked for
 */
public record TopicImage(String id, String name, boolean internal, SortedMap<Integer, PartitionRegistration> partitions) {

  public TopicImage {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    partitions = Collections.unmodifiableSortedMap(new TreeMap<>(partitions));
  }

  public Optional<PartitionRegistration> partition(int partition) {
    return Optional.ofNullable(partitions.get(partition));
  }

  public int partitionCount() {
    return partitions.size();
  }
}
