package dev.skein.metadata;

import dev.skein.proto.internal.v1.AlterPartitionRequest;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.CreateTopicRequest;
import dev.skein.proto.internal.v1.DeleteTopicRequest;
import java.util.List;
import java.util.Map;

/** Controller requests for tests. */
final class Requests {

  private Requests() {}

  static ControllerRequest createTopic(String name, int partitions, int replicationFactor) {
    return createTopic(name, partitions, replicationFactor, Map.of());
  }

  static ControllerRequest createTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) {
    return ControllerRequest.newBuilder().setCreateTopic(CreateTopicRequest.newBuilder()
        .setName(name).setPartitions(partitions).setReplicationFactor(replicationFactor).putAllConfigs(configs))
        .build();
  }

  static ControllerRequest deleteTopic(String name) {
    return ControllerRequest.newBuilder().setDeleteTopic(DeleteTopicRequest.newBuilder().setName(name)).build();
  }

  static ControllerRequest alterPartition(int brokerId, long brokerEpoch, String topicId, int partition,
      int leaderEpoch, int partitionEpoch, List<Integer> newIsr) {
    return ControllerRequest.newBuilder().setAlterPartition(AlterPartitionRequest.newBuilder()
        .setBrokerId(brokerId).setBrokerEpoch(brokerEpoch).setTopicId(topicId).setPartition(partition)
        .setLeaderEpoch(leaderEpoch).setPartitionEpoch(partitionEpoch).addAllNewIsr(newIsr)).build();
  }
}
