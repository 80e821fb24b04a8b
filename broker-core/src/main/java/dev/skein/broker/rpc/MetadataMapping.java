package dev.skein.broker.rpc;

import dev.skein.metadata.image.BrokerRegistration;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.v1.BrokerInfo;
import dev.skein.proto.v1.BrokerState;
import dev.skein.proto.v1.PartitionMetadata;
import dev.skein.proto.v1.TopicMetadata;
import java.util.Map;

/** The public shape ({@code skein.v1}) of metadata image objects. */
public final class MetadataMapping {

  private MetadataMapping() {}

  public static BrokerInfo broker(BrokerRegistration b) {
    return BrokerInfo.newBuilder()
        .setId(b.id()).setHost(b.host()).setPort(b.port()).setRack(b.rack())
        .setState(b.inControlledShutdown() ? BrokerState.BROKER_STATE_SHUTTING_DOWN
            : b.fenced() ? BrokerState.BROKER_STATE_FENCED : BrokerState.BROKER_STATE_RUNNING)
        .setVoter(b.voter())
        .build();
  }

  public static TopicMetadata topic(ClusterImage image, TopicImage topic) {
    TopicMetadata.Builder t = TopicMetadata.newBuilder()
        .setName(topic.name()).setTopicId(topic.id()).setInternal(topic.internal())
        .putAllConfigs(image.configs().topicConfigs(topic.id()));
    for (Map.Entry<Integer, PartitionRegistration> e : topic.partitions().entrySet()) {
      t.addPartitions(partition(image, e.getKey(), e.getValue()));
    }
    return t.build();
  }

  public static PartitionMetadata partition(ClusterImage image, int partition, PartitionRegistration p) {
    PartitionMetadata.Builder m = PartitionMetadata.newBuilder()
        .setPartition(partition).setLeaderId(p.leader()).setLeaderEpoch(p.leaderEpoch())
        .addAllReplicas(p.replicas()).addAllIsr(p.isr()).setPartitionEpoch(p.partitionEpoch());
    for (int replica : p.replicas()) {
      if (!image.brokers().isUsable(replica)) {
        m.addOfflineReplicas(replica);
      }
    }
    return m.build();
  }
}
