package dev.skein.broker;

import dev.skein.broker.replica.IsrChannel;
import dev.skein.metadata.BrokerLifecycle;
import dev.skein.metadata.MetadataQuorum;
import dev.skein.proto.internal.v1.AlterPartitionRequest;
import dev.skein.proto.internal.v1.ControllerRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Sends a leader's ISR proposals to the controller, as this broker (id and current broker epoch). */
final class ControllerIsrChannel implements IsrChannel {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final MetadataQuorum quorum;
  private final BrokerLifecycle lifecycle;

  ControllerIsrChannel(MetadataQuorum quorum, BrokerLifecycle lifecycle) {
    this.quorum = quorum;
    this.lifecycle = lifecycle;
  }

  @Override
  public CompletableFuture<IsrUpdate> alterPartition(String topicId, int partition, int leaderEpoch,
      int partitionEpoch, List<Integer> newIsr) {
    ControllerRequest request = ControllerRequest.newBuilder().setAlterPartition(AlterPartitionRequest.newBuilder()
        .setBrokerId(quorum.nodeId()).setBrokerEpoch(lifecycle.brokerEpoch())
        .setTopicId(topicId).setPartition(partition)
        .setLeaderEpoch(leaderEpoch).setPartitionEpoch(partitionEpoch)
        .addAllNewIsr(newIsr))
        .build();
    return quorum.controller().send(request, TIMEOUT).thenApply(response -> {
      if (!response.getErrorReason().isEmpty()) {
        throw new IllegalStateException(response.getErrorReason() + ": " + response.getErrorMessage());
      }
      var result = response.getAlterPartition();
      return new IsrUpdate(result.getPartitionEpoch(), result.getIsrList());
    });
  }
}
