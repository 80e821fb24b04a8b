package dev.skein.metadata.controller;

import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.proto.internal.v1.BrokerList;
import dev.skein.proto.internal.v1.BrokerRegistrationChangeRecord;
import dev.skein.proto.internal.v1.MetadataRecord;
import dev.skein.proto.internal.v1.PartitionChangeRecord;
import java.util.List;
import java.util.Optional;

/** Small factories for the records the controller writes most. */
final class MetadataRecords {

  private MetadataRecords() {}

  static MetadataRecord brokerChange(int brokerId, long brokerEpoch, Boolean fenced, Boolean inControlledShutdown) {
    BrokerRegistrationChangeRecord.Builder change = BrokerRegistrationChangeRecord.newBuilder()
        .setBrokerId(brokerId)
        .setBrokerEpoch(brokerEpoch);
    if (fenced != null) {
      change.setFenced(fenced);
    }
    if (inControlledShutdown != null) {
      change.setInControlledShutdown(inControlledShutdown);
    }
    return MetadataRecord.newBuilder().setBrokerRegistrationChange(change).build();
  }

  /**
   * The record that moves a partition from {@code current} to the given leader and ISR, or
   * empty if neither changes. It compare-and-sets on the current partition epoch.
   */
  static Optional<MetadataRecord> partitionChange(String topicId, int partition, PartitionRegistration current,
      int leader, List<Integer> isr, boolean unclean) {
    boolean leaderChanges = leader != current.leader();
    boolean isrChanges = !isr.equals(current.isr());
    if (!leaderChanges && !isrChanges) {
      return Optional.empty();
    }
    PartitionChangeRecord.Builder change = PartitionChangeRecord.newBuilder()
        .setTopicId(topicId)
        .setPartition(partition)
        .setExpectedPartitionEpoch(current.partitionEpoch())
        .setUnclean(unclean);
    if (leaderChanges) {
      change.setLeader(leader);
    }
    if (isrChanges) {
      change.setIsr(BrokerList.newBuilder().addAllBrokerIds(isr));
    }
    return Optional.of(MetadataRecord.newBuilder().setPartitionChange(change).build());
  }
}
