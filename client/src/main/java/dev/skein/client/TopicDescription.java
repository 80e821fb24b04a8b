package dev.skein.client;

import dev.skein.proto.v1.TopicMetadata;
import java.util.List;
import java.util.Map;

/** A topic with its partitions in partition order and the configs set on it. */
public record TopicDescription(
    String name, String topicId, boolean internal, List<PartitionInfo> partitions, Map<String, String> configs) {

  public TopicDescription {
    partitions = List.copyOf(partitions);
    configs = Map.copyOf(configs);
  }

  /** Partitions that have a leader now, in partition order. */
  public List<PartitionInfo> availablePartitions() {
    return partitions.stream().filter(PartitionInfo::hasLeader).toList();
  }

  public static TopicDescription from(TopicMetadata t) {
    return new TopicDescription(t.getName(), t.getTopicId(), t.getInternal(),
        t.getPartitionsList().stream().map(PartitionInfo::from)
            .sorted(java.util.Comparator.comparingInt(PartitionInfo::partition)).toList(),
        t.getConfigsMap());
  }

  public int partitionCount() {
    return partitions.size();
  }

  public int replicationFactor() {
    return partitions.isEmpty() ? 0 : partitions.get(0).replicas().size();
  }

  public PartitionInfo partition(int partition) {
    return partitions.get(partition);
  }
}
