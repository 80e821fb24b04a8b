package dev.skein.metadata.controller;

import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.AlterPartitionRequest;
import dev.skein.proto.internal.v1.AlterPartitionResult;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.MetadataRecord;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The controller's decisions about ISR changes proposed by partition leaders: a compare-and-set
 * on the leader epoch and partition epoch the leader last saw.
 */
final class PartitionControl {

  private PartitionControl() {}

  static ControllerDecision alterPartition(AlterPartitionRequest request, ClusterImage image) {
    int brokerId = request.getBrokerId();
    if (BrokerControl.currentBroker(image, brokerId, request.getBrokerEpoch()).isEmpty()) {
      return ControllerDecision.answer(ControllerError.STALE_BROKER_EPOCH.response(
          "broker " + brokerId + " epoch " + request.getBrokerEpoch() + " is not current"));
    }
    Optional<TopicImage> topic = image.topics().byId(request.getTopicId());
    if (topic.isEmpty()) {
      return ControllerDecision.answer(ControllerError.UNKNOWN_TOPIC.response("topic id " + request.getTopicId() + " does not exist"));
    }
    String partitionName = topic.get().name() + "-" + request.getPartition();
    Optional<PartitionRegistration> found = topic.get().partition(request.getPartition());
    if (found.isEmpty()) {
      return ControllerDecision.answer(ControllerError.UNKNOWN_PARTITION.response("partition " + partitionName + " does not exist"));
    }
    PartitionRegistration partition = found.get();
    Map<String, String> state = Map.of(
        "leader", String.valueOf(partition.leader()),
        "leader_epoch", String.valueOf(partition.leaderEpoch()),
        "partition_epoch", String.valueOf(partition.partitionEpoch()));
    if (partition.leader() != brokerId || partition.leaderEpoch() != request.getLeaderEpoch()) {
      return ControllerDecision.answer(ControllerError.NOT_LEADER_EPOCH.response(
          "broker " + brokerId + " at leader epoch " + request.getLeaderEpoch() + " does not lead " + partitionName
              + "; its leader is " + partition.leader() + " at leader epoch " + partition.leaderEpoch(), state));
    }
    if (partition.partitionEpoch() != request.getPartitionEpoch()) {
      return ControllerDecision.answer(ControllerError.STALE_PARTITION_EPOCH.response(
          "partition epoch " + request.getPartitionEpoch() + " of " + partitionName + " is stale; it is now "
              + partition.partitionEpoch(), state));
    }
    List<Integer> newIsr = List.copyOf(request.getNewIsrList());
    String isrProblem = isrProblem(newIsr, partition, brokerId, image);
    if (isrProblem != null) {
      return ControllerDecision.answer(ControllerError.INVALID_ISR.response(
          "ISR " + newIsr + " for " + partitionName + " is invalid: " + isrProblem, state));
    }
    String topicId = topic.get().id();
    int partitionIndex = request.getPartition();
    List<MetadataRecord> records = MetadataRecords.partitionChange(topicId, partitionIndex, partition,
        partition.leader(), newIsr, false).stream().toList();
    ControllerDecision decision = new ControllerDecision(records, (index, after) -> {
      PartitionRegistration now = after.topics().byId(topicId)
          .flatMap(t -> t.partition(partitionIndex))
          .orElse(partition);
      return ControllerResponse.newBuilder().setAlterPartition(AlterPartitionResult.newBuilder()
          .setLeaderEpoch(now.leaderEpoch())
          .setPartitionEpoch(now.partitionEpoch())
          .addAllIsr(now.isr())).build();
    });
    // A preferred leader back in the ISR (typically after a failover) can take its leadership
    // back now, not at the next periodic check.
    int preferred = partition.preferredLeader();
    boolean preferredRejoins = newIsr.contains(preferred) && !partition.isInIsr(preferred);
    return preferredRejoins ? decision.thenBalanceLeaders() : decision;
  }

  /**
   * An ISR a leader proposes must keep the leader, hold only assigned replicas, once each, and
   * add only brokers that are registered and usable (a fenced broker may not rejoin).
   */
  private static String isrProblem(List<Integer> isr, PartitionRegistration partition, int leader,
      ClusterImage image) {
    if (isr.isEmpty()) {
      return "it is empty";
    }
    if (new HashSet<>(isr).size() != isr.size()) {
      return "it lists a broker twice";
    }
    if (!isr.contains(leader)) {
      return "it does not contain the leader " + leader;
    }
    for (int member : isr) {
      if (!partition.isReplica(member)) {
        return "broker " + member + " is not a replica (replicas are " + partition.replicas() + ")";
      }
      if (!partition.isInIsr(member) && !image.brokers().isUsable(member)) {
        return "broker " + member + " cannot join: it is "
            + image.brokers().get(member).map(b -> b.fenced() ? "fenced" : "shutting down").orElse("not registered");
      }
    }
    return null;
  }
}
