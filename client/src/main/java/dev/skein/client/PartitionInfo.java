package dev.skein.client;

import dev.skein.proto.v1.PartitionMetadata;
import java.util.List;

/**
 * One partition's placement: its leader ({@code -1} for none), leader epoch, assigned
 * replicas (the first is the preferred leader), in-sync replicas and offline replicas.
 */
public record PartitionInfo(
    int partition, int leader, int leaderEpoch, List<Integer> replicas, List<Integer> isr,
    List<Integer> offlineReplicas) {

  public PartitionInfo {
    replicas = List.copyOf(replicas);
    isr = List.copyOf(isr);
    offlineReplicas = List.copyOf(offlineReplicas);
  }

  public static PartitionInfo from(PartitionMetadata p) {
    return new PartitionInfo(p.getPartition(), p.getLeaderId(), p.getLeaderEpoch(), p.getReplicasList(),
        p.getIsrList(), p.getOfflineReplicasList());
  }

  public boolean hasLeader() {
    return leader >= 0;
  }
}
