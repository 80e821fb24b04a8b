package dev.skein.broker.mirror;

import dev.skein.broker.HostPort;
import dev.skein.broker.replica.PeerChannels;
import dev.skein.broker.BrokerException;
import dev.skein.broker.rpc.ControllerCalls;
import dev.skein.metadata.MetadataQuorum;
import dev.skein.metadata.config.TopicConfigs;
import dev.skein.metadata.image.BrokerRegistration;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.MirrorsImage;
import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.AlterConfigsRequest;
import dev.skein.proto.internal.v1.ConfigResourceType;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.CreateMirrorTopicRequest;
import dev.skein.proto.internal.v1.CreatePartitionsRequest;
import dev.skein.proto.internal.v1.CreateTopicRequest;
import dev.skein.proto.internal.v1.MirrorLinkRecord;
import dev.skein.proto.v1.BrokerInfo;
import dev.skein.proto.v1.CommitOffsetsRequest;
import dev.skein.proto.v1.CommittedOffset;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.FetchOffsetsRequest;
import dev.skein.proto.v1.FindCoordinatorRequest;
import dev.skein.proto.v1.FindCoordinatorResponse;
import dev.skein.proto.v1.GetMetadataResponse;
import dev.skein.proto.v1.GroupListing;
import dev.skein.proto.v1.GroupServiceGrpc;
import dev.skein.proto.v1.ListGroupsRequest;
import dev.skein.proto.v1.ListOffsetsRequest;
import dev.skein.proto.v1.OffsetCommit;
import dev.skein.proto.v1.OffsetQuery;
import dev.skein.proto.v1.OffsetResult;
import dev.skein.proto.v1.OffsetSpec;
import dev.skein.proto.v1.TopicMetadata;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One periodic pass over a link, on the broker whose quorum member leads (the active
 * controller's broker), on its own thread with blocking calls:
 *
 * <ol>
 *   <li>reads the source's metadata; every source topic the link selects that does not exist
 *       here becomes a mirror topic (same name, partition count and topic configs);
 *   <li>for existing mirror topics: adds partitions the source added, and makes the topic's
 *       configs equal to the source's;
 *   <li>copies committed offsets of the selected groups for mirror topics not yet promoted,
 *       each capped at the destination partition's high watermark (never ahead of what has
 *       been mirrored) and only when it moves the destination's offset forward.
 * </ol>
 *
 * Every step is idempotent: a pass cut short (leadership moved, source down) is simply
 * repeated by the next one, here or on the next active controller's broker.
 */
final class LinkSync {

  private static final Logger log = LoggerFactory.getLogger(LinkSync.class);
  private static final long CALL_TIMEOUT_MS = 5_000;

  /** What the last pass found. */
  record Report(long timeMs, String sourceError, List<String> missingSourceTopics, List<String> conflicts,
      int offsetsCommitted) {}

  private final HostPort self;
  private final MetadataQuorum quorum;
  private final ControllerCalls controller;
  /** The broker's own channels to its cluster (TLS as replication's): not closed here. */
  private final PeerChannels localChannels;

  LinkSync(HostPort self, MetadataQuorum quorum, ControllerCalls controller, PeerChannels localChannels) {
    this.self = self;
    this.localChannels = localChannels;
    this.quorum = quorum;
    this.controller = controller;
  }

  /** Whether the link selects a source topic. */
  static boolean selects(MirrorLinkRecord link, TopicMetadata topic) {
    if (topic.getInternal() || topic.getName().startsWith("__")) {
      return false;
    }
    if (link.getTopicsList().contains(topic.getName())) {
      return true;
    }
    return !link.getIncludeRegex().isEmpty() && Pattern.matches(link.getIncludeRegex(), topic.getName())
        && (link.getExcludeRegex().isEmpty() || !Pattern.matches(link.getExcludeRegex(), topic.getName()));
  }

  static boolean selectsGroup(MirrorLinkRecord link, String group) {
    return link.getGroupsList().contains(group)
        || (!link.getGroupRegex().isEmpty() && Pattern.matches(link.getGroupRegex(), group));
  }

  Report sync(MirrorLinkRecord link, SourceCluster source) {
    GetMetadataResponse metadata;
    try {
      metadata = source.refreshMetadata(true).get(SourceCluster.METADATA_TIMEOUT_MS * 3, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      String why = e instanceof ExecutionException ? e.getCause().getMessage() : e.toString();
      log.info("mirror link {}: source unreachable: {}", link.getName(), why);
      return new Report(System.currentTimeMillis(), why, List.of(), List.of(), 0);
    }
    List<String> missing = new ArrayList<>();
    Set<String> sourceNames = new TreeSet<>();
    metadata.getTopicsList().forEach(t -> sourceNames.add(t.getName()));
    link.getTopicsList().stream().filter(t -> !sourceNames.contains(t)).forEach(missing::add);
    List<String> conflicts = new ArrayList<>();
    for (TopicMetadata topic : metadata.getTopicsList()) {
      if (!selects(link, topic) || topic.getPartitionsCount() == 0) {
        continue;
      }
      try {
        syncTopic(link, topic, conflicts);
      } catch (RuntimeException e) {
        log.info("mirror link {}: syncing topic {} failed: {}", link.getName(), topic.getName(), e.toString());
      }
    }
    int committed = 0;
    try {
      committed = syncGroups(link, source, metadata);
    } catch (RuntimeException e) {
      log.info("mirror link {}: group offset sync failed: {}", link.getName(), e.toString());
    }
    return new Report(System.currentTimeMillis(), "", List.copyOf(missing), List.copyOf(conflicts), committed);
  }

  private void syncTopic(MirrorLinkRecord link, TopicMetadata source, List<String> conflicts) {
    ClusterImage image = quorum.image();
    Optional<TopicImage> existing = image.topics().byName(source.getName());
    Map<String, String> configs = new HashMap<>();
    source.getConfigsMap().forEach((k, v) -> {
      if (TopicConfigs.find(k).isPresent()) {
        configs.put(k, v);
      }
    });
    if (existing.isEmpty()) {
      int replicationFactor = Math.min(Math.max(1, source.getPartitions(0).getReplicasCount()),
          Math.max(1, image.brokers().usableBrokerIds().size()));
      log.info("mirror link {}: creating mirror topic {} ({} partitions, replication factor {})", link.getName(),
          source.getName(), source.getPartitionsCount(), replicationFactor);
      call(ControllerRequest.newBuilder().setCreateMirrorTopic(CreateMirrorTopicRequest.newBuilder()
          .setLink(link.getName())
          .setTopic(CreateTopicRequest.newBuilder().setName(source.getName())
              .setPartitions(source.getPartitionsCount()).setReplicationFactor(replicationFactor)
              .putAllConfigs(configs))).build());
      return;
    }
    TopicImage topic = existing.get();
    Optional<MirrorsImage.MirrorTopic> mirror = image.mirrors().topic(topic.id());
    if (mirror.isEmpty() || !mirror.get().link().equals(link.getName())) {
      conflicts.add(source.getName());
      return;
    }
    if (mirror.get().promoted()) {
      return;
    }
    if (topic.partitionCount() < source.getPartitionsCount()) {
      log.info("mirror link {}: topic {} has {} partitions at the source, {} here: adding", link.getName(),
          source.getName(), source.getPartitionsCount(), topic.partitionCount());
      call(ControllerRequest.newBuilder().setCreatePartitions(CreatePartitionsRequest.newBuilder()
          .setName(source.getName()).setPartitions(source.getPartitionsCount())).build());
    }
    Map<String, String> current = image.configs().topicConfigs(topic.id());
    Map<String, String> set = new HashMap<>();
    configs.forEach((k, v) -> {
      if (!v.equals(current.get(k))) {
        set.put(k, v);
      }
    });
    List<String> delete = current.keySet().stream().filter(k -> !configs.containsKey(k)).toList();
    if (!set.isEmpty() || !delete.isEmpty()) {
      log.info("mirror link {}: topic {} configs: set {}, delete {}", link.getName(), source.getName(), set, delete);
      call(ControllerRequest.newBuilder().setAlterConfigs(AlterConfigsRequest.newBuilder()
          .setResourceType(ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC).setResourceName(source.getName())
          .putAllSet(set).addAllDelete(delete)).build());
    }
  }

  private void call(ControllerRequest request) {
    try {
      controller.call(request).get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException && e.getCause().getCause() != null
          ? e.getCause().getCause() : e.getCause();
      if (cause instanceof BrokerException be && be.error().reason() == ErrorReason.TOPIC_ALREADY_EXISTS) {
        return;
      }
      throw new IllegalStateException(String.valueOf(cause), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("controller did not answer", e);
    }
  }

  // ---- group offsets ----

  private int syncGroups(MirrorLinkRecord link, SourceCluster source, GetMetadataResponse metadata) {
    if (link.getGroupsCount() == 0 && link.getGroupRegex().isEmpty()) {
      return 0;
    }
    Set<String> groups = new LinkedHashSet<>(link.getGroupsList());
    if (!link.getGroupRegex().isEmpty()) {
      for (BrokerInfo broker : metadata.getBrokersList()) {
        try {
          for (GroupListing g : GroupServiceGrpc.newBlockingStub(source.channel(new HostPort(broker.getHost(),
              broker.getPort()))).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
              .listGroups(ListGroupsRequest.getDefaultInstance()).getGroupsList()) {
            if (selectsGroup(link, g.getGroupId())) {
              groups.add(g.getGroupId());
            }
          }
        } catch (StatusRuntimeException e) {
          log.debug("mirror link {}: source broker {} did not list its groups: {}", link.getName(), broker.getId(),
              e.getStatus());
        }
      }
    }
    int committed = 0;
    for (String group : groups) {
      try {
        committed += syncGroup(link, source, metadata, group);
      } catch (StatusRuntimeException e) {
        Optional<SkeinError> error = SkeinError.fromThrowable(e);
        if (error.isPresent() && error.get().reason() == ErrorReason.GROUP_NOT_EMPTY) {
          // The group runs here now (it failed over): its offsets are its own.
          log.debug("mirror link {}: group {} has members here; not syncing its offsets", link.getName(), group);
        } else {
          log.info("mirror link {}: syncing offsets of group {} failed: {}", link.getName(), group, e.getStatus());
        }
      }
    }
    return committed;
  }

  private int syncGroup(MirrorLinkRecord link, SourceCluster source, GetMetadataResponse metadata, String group) {
    if (metadata.getBrokersCount() == 0) {
      return 0;
    }
    ClusterImage image = quorum.image();
    // Source: the group's committed offsets, from its coordinator.
    BrokerInfo any = metadata.getBrokers(0);
    Channel sourceAny = source.channel(new HostPort(any.getHost(), any.getPort()));
    FindCoordinatorResponse sourceCoordinator = GroupServiceGrpc.newBlockingStub(sourceAny)
        .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .findCoordinator(FindCoordinatorRequest.newBuilder().setGroupId(group).build());
    List<CommittedOffset> sourceOffsets = GroupServiceGrpc.newBlockingStub(source.channel(
        new HostPort(sourceCoordinator.getHost(), sourceCoordinator.getPort())))
        .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .fetchOffsets(FetchOffsetsRequest.newBuilder().setGroupId(group).build()).getOffsetsList();
    // Only partitions of this link's mirror topics that are still mirrored.
    List<CommittedOffset> candidates = new ArrayList<>();
    for (CommittedOffset o : sourceOffsets) {
      Optional<TopicImage> topic = image.topics().byName(o.getTopic());
      if (topic.isPresent() && topic.get().partitions().containsKey(o.getPartition()) && o.getOffset() >= 0
          && image.mirrors().topic(topic.get().id())
              .filter(m -> m.link().equals(link.getName()) && !m.promoted()).isPresent()) {
        candidates.add(o);
      }
    }
    if (candidates.isEmpty()) {
      return 0;
    }
    Map<String, Long> highWatermarks = destinationHighWatermarks(image, candidates);
    FindCoordinatorResponse localCoordinator = GroupServiceGrpc.newBlockingStub(localChannels.channel(self))
        .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .findCoordinator(FindCoordinatorRequest.newBuilder().setGroupId(group).build());
    GroupServiceGrpc.GroupServiceBlockingStub local = GroupServiceGrpc.newBlockingStub(localChannels.channel(
        new HostPort(localCoordinator.getHost(), localCoordinator.getPort())));
    Map<String, Long> current = new HashMap<>();
    for (CommittedOffset o : local.withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .fetchOffsets(FetchOffsetsRequest.newBuilder().setGroupId(group).build()).getOffsetsList()) {
      current.put(o.getTopic() + "-" + o.getPartition(), o.getOffset());
    }
    CommitOffsetsRequest.Builder commit = CommitOffsetsRequest.newBuilder().setGroupId(group).setMemberEpoch(-1);
    for (CommittedOffset o : candidates) {
      String key = o.getTopic() + "-" + o.getPartition();
      Long hw = highWatermarks.get(key);
      if (hw == null) {
        continue;
      }
      long target = Math.min(o.getOffset(), hw);
      Long now = current.get(key);
      if (now == null || target > now) {
        commit.addOffsets(OffsetCommit.newBuilder().setTopic(o.getTopic()).setPartition(o.getPartition())
            .setOffset(target).setLeaderEpoch(-1).setMetadata(o.getMetadata()));
      }
    }
    if (commit.getOffsetsCount() == 0) {
      return 0;
    }
    local.withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).commitOffsets(commit.build());
    return commit.getOffsetsCount();
  }

  /** The destination's high watermarks of these partitions, from their leaders ("topic-partition" keys). */
  private Map<String, Long> destinationHighWatermarks(ClusterImage image, List<CommittedOffset> partitions) {
    Map<Integer, ListOffsetsRequest.Builder> byLeader = new HashMap<>();
    for (CommittedOffset o : partitions) {
      TopicImage topic = image.topics().byName(o.getTopic()).orElseThrow();
      PartitionRegistration registration = topic.partitions().get(o.getPartition());
      if (registration == null || !registration.hasLeader()) {
        continue;
      }
      byLeader.computeIfAbsent(registration.leader(), l -> ListOffsetsRequest.newBuilder())
          .addQueries(OffsetQuery.newBuilder().setTopic(o.getTopic()).setPartition(o.getPartition())
              .setSpec(OffsetSpec.OFFSET_SPEC_LATEST));
    }
    Map<String, Long> out = new HashMap<>();
    byLeader.forEach((leader, request) -> {
      BrokerRegistration broker = image.brokers().brokers().get(leader);
      if (broker == null) {
        return;
      }
      try {
        for (OffsetResult r : ConsumerServiceGrpc.newBlockingStub(localChannels.channel(
            new HostPort(broker.host(), broker.port()))).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .listOffsets(request.build()).getResultsList()) {
          if (!r.hasError() || r.getError().getReason().isEmpty()) {
            out.put(r.getTopic() + "-" + r.getPartition(), r.getOffset());
          }
        }
      } catch (StatusRuntimeException e) {
        log.debug("high watermarks from broker {} failed: {}", leader, e.getStatus());
      }
    });
    return out;
  }
}
