package dev.skein.metadata.image;

import dev.skein.proto.internal.v1.BrokerList;
import dev.skein.proto.internal.v1.BrokerRegistrationChangeRecord;
import dev.skein.proto.internal.v1.ClusterRecord;
import dev.skein.proto.internal.v1.ConfigRecord;
import dev.skein.proto.internal.v1.ConfigResourceType;
import dev.skein.proto.internal.v1.MetadataRecord;
import dev.skein.proto.internal.v1.PartitionChangeRecord;
import dev.skein.proto.internal.v1.PartitionRecord;
import dev.skein.proto.internal.v1.ProducerIdsRecord;
import dev.skein.proto.internal.v1.RegisterBrokerRecord;
import dev.skein.proto.internal.v1.RemoveTopicRecord;
import dev.skein.proto.internal.v1.TopicRecord;
import java.util.List;

/** Metadata records for tests. */
final class Records {

  private Records() {}

  static MetadataRecord cluster(String id) {
    return MetadataRecord.newBuilder().setCluster(ClusterRecord.newBuilder().setClusterId(id)).build();
  }

  static MetadataRecord registerBroker(int id) {
    return MetadataRecord.newBuilder().setRegisterBroker(RegisterBrokerRecord.newBuilder()
        .setBrokerId(id).setIncarnationId("incarnation-" + id).setHost("host-" + id).setPort(9000 + id)
        .setRack("r").setRaftAddress("host-" + id + ":9093").setVoter(true)).build();
  }

  static MetadataRecord brokerChange(int id, long epoch, Boolean fenced, Boolean shutdown) {
    BrokerRegistrationChangeRecord.Builder change = BrokerRegistrationChangeRecord.newBuilder()
        .setBrokerId(id).setBrokerEpoch(epoch);
    if (fenced != null) {
      change.setFenced(fenced);
    }
    if (shutdown != null) {
      change.setInControlledShutdown(shutdown);
    }
    return MetadataRecord.newBuilder().setBrokerRegistrationChange(change).build();
  }

  static MetadataRecord topic(String id, String name) {
    return MetadataRecord.newBuilder().setTopic(TopicRecord.newBuilder().setTopicId(id).setName(name)).build();
  }

  static MetadataRecord partition(String topicId, int partition, List<Integer> replicas, int leader) {
    return MetadataRecord.newBuilder().setPartition(PartitionRecord.newBuilder()
        .setTopicId(topicId).setPartition(partition).addAllReplicas(replicas).addAllIsr(replicas)
        .setLeader(leader)).build();
  }

  static MetadataRecord leaderChange(String topicId, int partition, int expectedEpoch, int leader) {
    return MetadataRecord.newBuilder().setPartitionChange(PartitionChangeRecord.newBuilder()
        .setTopicId(topicId).setPartition(partition).setExpectedPartitionEpoch(expectedEpoch).setLeader(leader))
        .build();
  }

  static MetadataRecord isrChange(String topicId, int partition, int expectedEpoch, List<Integer> isr) {
    return MetadataRecord.newBuilder().setPartitionChange(PartitionChangeRecord.newBuilder()
        .setTopicId(topicId).setPartition(partition).setExpectedPartitionEpoch(expectedEpoch)
        .setIsr(BrokerList.newBuilder().addAllBrokerIds(isr))).build();
  }

  static MetadataRecord removeTopic(String topicId) {
    return MetadataRecord.newBuilder().setRemoveTopic(RemoveTopicRecord.newBuilder().setTopicId(topicId)).build();
  }

  static MetadataRecord topicConfig(String topicId, String key, String value) {
    ConfigRecord.Builder config = ConfigRecord.newBuilder()
        .setResourceType(ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC).setResourceName(topicId).setKey(key);
    if (value != null) {
      config.setValue(value);
    }
    return MetadataRecord.newBuilder().setConfig(config).build();
  }

  static MetadataRecord producerIds(long first, int size) {
    return MetadataRecord.newBuilder().setProducerIds(ProducerIdsRecord.newBuilder()
        .setFirstProducerId(first).setBlockSize(size)).build();
  }
}
