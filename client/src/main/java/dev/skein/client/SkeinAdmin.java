package dev.skein.client;

import dev.skein.client.internal.BrokerChannels;
import dev.skein.client.internal.MetadataCache;
import dev.skein.proto.v1.AlterConfigsRequest;
import dev.skein.proto.v1.ConfigResourceType;
import dev.skein.proto.v1.CreatePartitionsRequest;
import dev.skein.proto.v1.DescribeConfigsRequest;
import dev.skein.proto.v1.DeleteRecordsPartition;
import dev.skein.proto.v1.DeleteRecordsRequest;
import dev.skein.proto.v1.DeleteRecordsResponse;
import dev.skein.proto.v1.DeleteRecordsResult;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import dev.skein.proto.v1.AdminServiceGrpc;
import dev.skein.proto.v1.ClusterServiceGrpc;
import dev.skein.proto.v1.CreateTopicRequest;
import dev.skein.proto.v1.DeleteTopicRequest;
import dev.skein.proto.v1.DescribeClusterRequest;
import dev.skein.proto.v1.DescribeTopicsRequest;
import dev.skein.proto.v1.ListTopicsRequest;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Topic and cluster administration. Any broker answers; calls go to the first broker of the
 * bootstrap list that is reachable.
 */
public final class SkeinAdmin implements AutoCloseable {

  private final ClientConfig config;
  private final BrokerChannels channels = new BrokerChannels();
  private final MetadataCache metadata;

  private SkeinAdmin(ClientConfig config) {
    this.config = config;
    this.metadata = new MetadataCache(config, channels);
  }

  public static SkeinAdmin create(ClientConfig config) {
    return new SkeinAdmin(config);
  }

  public static SkeinAdmin create(String bootstrapServers) {
    return new SkeinAdmin(ClientConfig.of(bootstrapServers));
  }

  /** Creates a topic and returns it as the cluster now describes it. */
  public TopicDescription createTopic(NewTopic topic) {
    CreateTopicRequest.Builder request = CreateTopicRequest.newBuilder()
        .setName(topic.name())
        .putAllConfigs(topic.configs());
    topic.partitions().ifPresent(request::setPartitions);
    topic.replicationFactor().ifPresent(request::setReplicationFactor);
    return call(channel -> TopicDescription.from(admin(channel).createTopic(request.build()).getTopic()));
  }

  /** Checks a topic as {@link #createTopic} would, without creating it. */
  public TopicDescription validateTopic(NewTopic topic) {
    CreateTopicRequest.Builder request = CreateTopicRequest.newBuilder()
        .setName(topic.name())
        .putAllConfigs(topic.configs())
        .setValidateOnly(true);
    topic.partitions().ifPresent(request::setPartitions);
    topic.replicationFactor().ifPresent(request::setReplicationFactor);
    return call(channel -> TopicDescription.from(admin(channel).createTopic(request.build()).getTopic()));
  }

  public void deleteTopic(String name) {
    call(channel -> admin(channel).deleteTopic(DeleteTopicRequest.newBuilder().setName(name).build()));
  }

  public List<TopicListing> listTopics(boolean includeInternal) {
    return call(channel -> admin(channel)
        .listTopics(ListTopicsRequest.newBuilder().setIncludeInternal(includeInternal).build())
        .getTopicsList().stream()
        .map(t -> new TopicListing(t.getName(), t.getTopicId(), t.getPartitionCount(), t.getReplicationFactor(),
            t.getInternal()))
        .toList());
  }

  /** Describes the named topics, or every topic that is not internal when {@code names} is empty. */
  public List<TopicDescription> describeTopics(Collection<String> names) {
    return call(channel -> admin(channel)
        .describeTopics(DescribeTopicsRequest.newBuilder().addAllNames(names).build())
        .getTopicsList().stream().map(TopicDescription::from).toList());
  }

  public TopicDescription describeTopic(String name) {
    return describeTopics(List.of(name)).get(0);
  }

  /**
   * Sets and removes configs of a topic while it runs; every replica applies them without a
   * restart. Invalid keys or values fail with INVALID_CONFIG and change nothing.
   */
  public void alterTopicConfigs(String topic, Map<String, String> set, Collection<String> delete) {
    alterConfigs(ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC, topic, set, delete);
  }

  /** Sets and removes the cluster-wide defaults every topic without its own value uses. */
  public void alterBrokerDefaults(Map<String, String> set, Collection<String> delete) {
    alterConfigs(ConfigResourceType.CONFIG_RESOURCE_TYPE_BROKER_DEFAULTS, "", set, delete);
  }

  private void alterConfigs(ConfigResourceType type, String name, Map<String, String> set,
      Collection<String> delete) {
    call(channel -> admin(channel).alterConfigs(AlterConfigsRequest.newBuilder().setResourceType(type)
        .setResourceName(name).putAllSet(set).addAllDelete(delete).build()));
  }

  /** Every topic config of a topic, with its effective value and source. */
  public List<ConfigEntry> describeTopicConfigs(String topic) {
    return describeConfigs(ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC, topic);
  }

  /** The cluster-wide topic config defaults that are set. */
  public List<ConfigEntry> describeBrokerDefaults() {
    return describeConfigs(ConfigResourceType.CONFIG_RESOURCE_TYPE_BROKER_DEFAULTS, "");
  }

  private List<ConfigEntry> describeConfigs(ConfigResourceType type, String name) {
    return call(channel -> admin(channel).describeConfigs(DescribeConfigsRequest.newBuilder().setResourceType(type)
        .setResourceName(name).build()).getEntriesList().stream().map(ConfigEntry::from).toList());
  }

  /** Raises a topic's partition count; a decrease is refused (INVALID_PARTITIONS). */
  public TopicDescription createPartitions(String topic, int totalPartitions) {
    return call(channel -> TopicDescription.from(admin(channel).createPartitions(CreatePartitionsRequest.newBuilder()
        .setTopic(topic).setPartitions(totalPartitions).build()).getTopic()));
  }

  /**
   * Deletes the records of each partition below the given offset (-1: up to the high
   * watermark), as Kafka's DeleteRecords: the log start offset moves there on every in-sync
   * replica, durably; offsets do not change. Each partition is sent to its leader; a leader
   * that moved meanwhile is looked up again once.
   *
   * @return each partition's log start offset afterwards
   * @throws SkeinException for the first partition that failed (OFFSET_OUT_OF_RANGE above the
   *     high watermark, UNKNOWN_TOPIC, ...)
   */
  public Map<TopicPartition, Long> deleteRecords(Map<TopicPartition, Long> beforeOffsets) {
    Map<TopicPartition, Long> done = new LinkedHashMap<>();
    Map<TopicPartition, Long> pending = new LinkedHashMap<>(beforeOffsets);
    for (int attempt = 0; !pending.isEmpty(); attempt++) {
      Map<BrokerAddress, List<TopicPartition>> byLeader = new LinkedHashMap<>();
      for (TopicPartition tp : pending.keySet()) {
        metadata.topic(tp.topic());
        BrokerAddress leader = metadata.snapshot().leaderOf(tp).orElseThrow(() -> new SkeinException(
            SkeinError.of(ErrorReason.LEADER_NOT_AVAILABLE, "partition " + tp + " has no leader right now")));
        byLeader.computeIfAbsent(leader, k -> new ArrayList<>()).add(tp);
      }
      Map<TopicPartition, Long> retry = new LinkedHashMap<>();
      for (Map.Entry<BrokerAddress, List<TopicPartition>> e : byLeader.entrySet()) {
        DeleteRecordsRequest.Builder request = DeleteRecordsRequest.newBuilder()
            .setTimeoutMs((int) Math.min(Integer.MAX_VALUE, config.requestTimeout().toMillis()));
        for (TopicPartition tp : e.getValue()) {
          request.addPartitions(DeleteRecordsPartition.newBuilder().setTopic(tp.topic())
              .setPartition(tp.partition()).setBeforeOffset(pending.get(tp)));
        }
        DeleteRecordsResponse response;
        try {
          response = AdminServiceGrpc.newBlockingStub(channels.channel(e.getKey()))
              .withDeadlineAfter(config.requestTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS)
              .deleteRecords(request.build());
        } catch (StatusRuntimeException failure) {
          throw SkeinException.from(failure);
        }
        for (DeleteRecordsResult result : response.getResultsList()) {
          TopicPartition tp = new TopicPartition(result.getTopic(), result.getPartition());
          if (!result.hasError() || result.getError().getReason().isEmpty()) {
            done.put(tp, result.getLogStartOffset());
            continue;
          }
          SkeinError error = SkeinError.fromDetail(result.getError());
          boolean leaderMoved = error.reason() == ErrorReason.NOT_LEADER
              || error.reason() == ErrorReason.LEADER_NOT_AVAILABLE;
          if (!leaderMoved || attempt > 0) {
            throw new SkeinException(error);
          }
          retry.put(tp, pending.get(tp));
        }
      }
      metadata.invalidate();
      pending = retry;
    }
    return done;
  }

  public ClusterDescription describeCluster() {
    return call(channel -> ClusterDescription.from(ClusterServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .describeCluster(DescribeClusterRequest.getDefaultInstance())));
  }

  private AdminServiceGrpc.AdminServiceBlockingStub admin(Channel channel) {
    return AdminServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Runs the call on the first reachable bootstrap broker; only "unreachable" moves on to the next. */
  private <T> T call(Function<Channel, T> rpc) {
    List<BrokerAddress> order = new ArrayList<>(config.bootstrap());
    Collections.shuffle(order);
    StatusRuntimeException last = null;
    for (BrokerAddress address : order) {
      try {
        return rpc.apply(channels.channel(address));
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || dev.skein.rpc.SkeinError.fromThrowable(e).isPresent()) {
          throw SkeinException.from(e);
        }
        last = e;
      }
    }
    throw new SkeinException("no broker reachable at " + config.bootstrap(), Status.Code.UNAVAILABLE, last);
  }

  @Override
  public void close() {
    channels.close();
  }
}
