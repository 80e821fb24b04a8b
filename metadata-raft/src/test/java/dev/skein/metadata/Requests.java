package dev.skein.metadata;

import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.CreateTopicRequest;
import dev.skein.proto.internal.v1.DeleteTopicRequest;
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
}
