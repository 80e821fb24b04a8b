package dev.skein.broker;

import dev.skein.broker.replica.IsrChannel;
import dev.skein.metadata.BrokerLifecycle;
import dev.skein.metadata.MetadataQuorum;
import dev.skein.proto.internal.v1.AlterPartitionRequest;
import dev.skein.proto.internal.v1.AlterPartitionsRequest;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Sends a leader's ISR proposals to the controller, as this broker (id and current broker epoch).
 *
 * <p>One request is in flight at a time. Proposals made meanwhile wait and go together in the
 * next one, up to {@link #MAX_PER_REQUEST}, each answered on its own. When a follower comes
 * back, every partition it follows proposes an expanded ISR within moments of each other; sent
 * one by one, thousands of concurrent calls through the metadata quorum's client would time out
 * together and make it reconnect again and again, while together they are a handful of calls.
 * A proposal for a partition whose earlier proposal has not been sent yet replaces it (the
 * earlier one fails as superseded; the partition only acts on its latest).
 */
final class ControllerIsrChannel implements IsrChannel {

  /** Partitions per request: the controller writes up to 500 ISR changes per metadata batch. */
  static final int MAX_PER_REQUEST = 500;
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private record PartitionKey(String topicId, int partition) {}

  private record Proposal(PartitionKey key, int leaderEpoch, int partitionEpoch, List<Integer> newIsr,
      CompletableFuture<IsrUpdate> result) {}

  private final Function<ControllerRequest, CompletableFuture<ControllerResponse>> controller;
  private final int brokerId;
  private final LongSupplier brokerEpoch;
  /** Proposals not yet sent, oldest first. Guarded by {@code this}, as is {@code inFlight}. */
  private final Map<PartitionKey, Proposal> queued = new LinkedHashMap<>();
  private boolean inFlight;

  ControllerIsrChannel(MetadataQuorum quorum, BrokerLifecycle lifecycle) {
    this(request -> quorum.controller().send(request, TIMEOUT), quorum.nodeId(), lifecycle::brokerEpoch);
  }

  /**
   * @param controller sends a request to the active controller, retrying as it sees fit
   * @param brokerEpoch read when a request is sent, so a re-registered broker sends its new one
   */
  ControllerIsrChannel(Function<ControllerRequest, CompletableFuture<ControllerResponse>> controller, int brokerId,
      LongSupplier brokerEpoch) {
    this.controller = controller;
    this.brokerId = brokerId;
    this.brokerEpoch = brokerEpoch;
  }

  @Override
  public CompletableFuture<IsrUpdate> alterPartition(String topicId, int partition, int leaderEpoch,
      int partitionEpoch, List<Integer> newIsr) {
    Proposal proposal = new Proposal(new PartitionKey(topicId, partition), leaderEpoch, partitionEpoch,
        List.copyOf(newIsr), new CompletableFuture<>());
    Proposal superseded;
    boolean sendNow;
    synchronized (this) {
      superseded = queued.remove(proposal.key());
      queued.put(proposal.key(), proposal);
      sendNow = !inFlight;
      inFlight = true;
    }
    if (superseded != null) {
      superseded.result().completeExceptionally(new IllegalStateException(
          "superseded by a newer ISR proposal for " + topicId + "-" + partition + " before it was sent"));
    }
    if (sendNow) {
      sendQueued();
    }
    return proposal.result();
  }

  /** Sends what is queued, if anything; otherwise marks the channel idle. */
  private void sendQueued() {
    List<Proposal> batch = new ArrayList<>();
    synchronized (this) {
      Iterator<Proposal> oldestFirst = queued.values().iterator();
      while (oldestFirst.hasNext() && batch.size() < MAX_PER_REQUEST) {
        batch.add(oldestFirst.next());
        oldestFirst.remove();
      }
      if (batch.isEmpty()) {
        inFlight = false;
        return;
      }
    }
    AlterPartitionsRequest.Builder request = AlterPartitionsRequest.newBuilder();
    long epoch = brokerEpoch.getAsLong();
    for (Proposal p : batch) {
      request.addPartitions(AlterPartitionRequest.newBuilder()
          .setBrokerId(brokerId).setBrokerEpoch(epoch)
          .setTopicId(p.key().topicId()).setPartition(p.key().partition())
          .setLeaderEpoch(p.leaderEpoch()).setPartitionEpoch(p.partitionEpoch())
          .addAllNewIsr(p.newIsr()));
    }
    CompletableFuture<ControllerResponse> response;
    try {
      response = controller.apply(ControllerRequest.newBuilder().setAlterPartitions(request).build());
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    response.whenComplete((answer, failure) -> {
      try {
        answer(batch, answer, failure);
      } finally {
        sendQueued();
      }
    });
  }

  private static void answer(List<Proposal> batch, ControllerResponse answer, Throwable failure) {
    if (failure == null && !answer.getErrorReason().isEmpty()) {
      failure = new IllegalStateException(answer.getErrorReason() + ": " + answer.getErrorMessage());
    } else if (failure == null && answer.getAlterPartitions().getResponsesCount() != batch.size()) {
      failure = new IllegalStateException("the controller answered " + answer.getAlterPartitions().getResponsesCount()
          + " of " + batch.size() + " ISR proposals");
    }
    for (int i = 0; i < batch.size(); i++) {
      CompletableFuture<IsrUpdate> result = batch.get(i).result();
      if (failure != null) {
        result.completeExceptionally(failure);
        continue;
      }
      ControllerResponse entry = answer.getAlterPartitions().getResponses(i);
      if (!entry.getErrorReason().isEmpty()) {
        result.completeExceptionally(
            new IllegalStateException(entry.getErrorReason() + ": " + entry.getErrorMessage()));
      } else {
        result.complete(new IsrUpdate(entry.getAlterPartition().getPartitionEpoch(),
            entry.getAlterPartition().getIsrList()));
      }
    }
  }
}
