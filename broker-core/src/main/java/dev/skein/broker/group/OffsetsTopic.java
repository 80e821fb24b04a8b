package dev.skein.broker.group;

import dev.skein.broker.BrokerException;
import dev.skein.broker.rpc.ControllerCalls;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.CreateTopicRequest;
import dev.skein.rpc.ErrorReason;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/** The internal topic that holds every group's state and offsets, created on first use. */
public final class OffsetsTopic {

  public static final String NAME = "__consumer_offsets";

  private final GroupConfig config;
  private final ControllerCalls controller;
  private final Supplier<ClusterImage> image;

  public OffsetsTopic(GroupConfig config, ControllerCalls controller, Supplier<ClusterImage> image) {
    this.config = config;
    this.controller = controller;
    this.image = image;
  }

  /** The partition of {@code partitions} that holds a group: Kafka's rule, abs(hashCode) mod N. */
  public static int partitionFor(String groupId, int partitions) {
    return (groupId.hashCode() & 0x7fffffff) % partitions;
  }

  /** The topic as the local image has it, creating it first if it does not exist. */
  public CompletableFuture<TopicImage> ensureExists() {
    TopicImage existing = image.get().topics().byName(NAME).orElse(null);
    if (existing != null) {
      return CompletableFuture.completedFuture(existing);
    }
    int brokers = image.get().brokers().usableBrokerIds().size();
    int replicationFactor = Math.max(1, Math.min(config.offsetsTopicReplicationFactor(), brokers));
    CreateTopicRequest.Builder create = CreateTopicRequest.newBuilder().setName(NAME).setInternal(true)
        .setPartitions(config.offsetsTopicPartitions()).setReplicationFactor(replicationFactor)
        // Compacted: a group's last record is its whole state, so older ones can go; time and
        // size retention would remove the commits of groups that stopped committing.
        .putConfigs("cleanup.policy", "compact");
    if (replicationFactor >= 3) {
      // An acknowledged commit then survives the loss of any one replica.
      create.putAllConfigs(Map.of("min.insync.replicas", "2"));
    }
    return controller.call(ControllerRequest.newBuilder().setCreateTopic(create).build())
        .handle((applied, failure) -> {
          TopicImage topic = (applied != null ? applied.image() : image.get()).topics().byName(NAME).orElse(null);
          if (topic != null) {
            return topic; // created now, or by another broker a moment earlier
          }
          Throwable cause = failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause() : failure;
          if (cause instanceof BrokerException e) {
            throw new CompletionException(BrokerException.of(ErrorReason.COORDINATOR_NOT_AVAILABLE,
                "cannot create " + NAME + ": " + e.error().message()));
          }
          throw new CompletionException(BrokerException.of(ErrorReason.COORDINATOR_NOT_AVAILABLE,
              "cannot create " + NAME + (cause == null ? "" : ": " + cause.getMessage())));
        });
  }
}
