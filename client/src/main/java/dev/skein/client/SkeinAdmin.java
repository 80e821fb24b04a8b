package dev.skein.client;

import dev.skein.client.internal.BrokerChannels;
import dev.skein.client.internal.GroupCalls;
import dev.skein.client.internal.MetadataCache;
import dev.skein.proto.v1.AdminServiceGrpc;
import dev.skein.proto.v1.AlterConfigsRequest;
import dev.skein.proto.v1.ClusterServiceGrpc;
import dev.skein.proto.v1.CommittedOffset;
import dev.skein.proto.v1.ConfigResourceType;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.CreatePartitionsRequest;
import dev.skein.proto.v1.CreateTopicRequest;
import dev.skein.proto.v1.DeleteGroupRequest;
import dev.skein.proto.v1.DeleteRecordsPartition;
import dev.skein.proto.v1.DeleteRecordsRequest;
import dev.skein.proto.v1.DeleteRecordsResponse;
import dev.skein.proto.v1.DeleteRecordsResult;
import dev.skein.proto.v1.DeleteTopicRequest;
import dev.skein.proto.v1.DescribeClusterRequest;
import dev.skein.proto.v1.DescribeConfigsRequest;
import dev.skein.proto.v1.DescribeGroupRequest;
import dev.skein.proto.v1.DescribeGroupResponse;
import dev.skein.proto.v1.DescribeLogDirsRequest;
import dev.skein.proto.v1.DescribeLogDirsResponse;
import dev.skein.proto.v1.DescribeTopicsRequest;
import dev.skein.proto.v1.FetchOffsetsRequest;
import dev.skein.proto.v1.GroupMember;
import dev.skein.proto.v1.GroupServiceGrpc;
import dev.skein.proto.v1.GroupState;
import dev.skein.proto.v1.ListGroupsRequest;
import dev.skein.proto.v1.ListOffsetsRequest;
import dev.skein.proto.v1.ListTopicsRequest;
import dev.skein.proto.v1.OffsetCommit;
import dev.skein.proto.v1.OffsetQuery;
import dev.skein.proto.v1.OffsetResult;
import dev.skein.proto.v1.OffsetSpec;
import dev.skein.proto.v1.ResetOffsetsRequest;
import dev.skein.proto.v1.TopicPartitions;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Topic and cluster administration. Any broker answers. The client picks one bootstrap broker at
 * random and keeps using it while it is reachable: a broker answers a change only once its own
 * metadata shows it, so staying on one broker means a describe after an alter sees the alter.
 */
public final class SkeinAdmin implements AutoCloseable {

  private final ClientConfig config;
  private final BrokerChannels channels;
  private final MetadataCache metadata;
  /** Bootstrap brokers in the order tried; the head is the broker in use. Guarded by itself. */
  private final List<BrokerAddress> order;

  private SkeinAdmin(ClientConfig config) {
    this.config = config;
    this.channels = new BrokerChannels(config.tls(), config.sasl());
    this.metadata = new MetadataCache(config, channels);
    this.order = new ArrayList<>(config.bootstrap());
    Collections.shuffle(order);
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

  // ---- ACLs (the skein.v1 messages themselves: a binding is plain data with no client-side behaviour) ----

  /**
   * Adds ACL bindings, all or none (an invalid one fails with INVALID_REQUEST); existing ones stay
   * as they are. Every broker enforces them once it has applied them; the answering broker before
   * it answers. Needs ALTER on the cluster.
   */
  public void createAcls(Collection<dev.skein.proto.v1.AclBinding> bindings) {
    call(channel -> admin(channel).createAcls(dev.skein.proto.v1.CreateAclsRequest.newBuilder()
        .addAllBindings(bindings).build()));
  }

  /** Removes the bindings each filter selects; per filter, in order, the bindings it removed. Needs ALTER on the cluster. */
  public List<List<dev.skein.proto.v1.AclBinding>> deleteAcls(Collection<dev.skein.proto.v1.AclBindingFilter> filters) {
    return call(channel -> admin(channel).deleteAcls(dev.skein.proto.v1.DeleteAclsRequest.newBuilder()
        .addAllFilters(filters).build()).getResultsList().stream()
        .map(dev.skein.proto.v1.DeletedAcls::getBindingsList).toList());
  }

  /** The bindings a filter selects (the default filter: all of them), sorted. Needs DESCRIBE on the cluster. */
  public List<dev.skein.proto.v1.AclBinding> describeAcls(dev.skein.proto.v1.AclBindingFilter filter) {
    return call(channel -> admin(channel).describeAcls(dev.skein.proto.v1.DescribeAclsRequest.newBuilder()
        .setFilter(filter).build()).getBindingsList());
  }

  // ---- SCRAM credentials ----

  /**
   * Stores or replaces a user's SCRAM-SHA-512 credential. The password is salted and hashed here
   * (a random 32-byte salt, {@code iterations} rounds of PBKDF2-HMAC-SHA-512) and only the
   * salted password is sent; the brokers keep only keys derived from it. Needs ALTER on the cluster.
   *
   * @param iterations between 4096 and 16384
   */
  public void upsertScramCredential(String name, char[] password, int iterations) {
    byte[] salt = dev.skein.rpc.Scram.randomBytes(32);
    byte[] salted = dev.skein.rpc.Scram.saltedPassword(password, salt, iterations);
    try {
      call(channel -> admin(channel).alterUserScramCredentials(dev.skein.proto.v1.AlterUserScramCredentialsRequest
          .newBuilder().addUpsertions(dev.skein.proto.v1.ScramCredentialUpsertion.newBuilder().setName(name)
              .setMechanism(dev.skein.rpc.Scram.MECHANISM).setIterations(iterations)
              .setSalt(com.google.protobuf.ByteString.copyFrom(salt))
              .setSaltedPassword(com.google.protobuf.ByteString.copyFrom(salted))).build()));
    } finally {
      java.util.Arrays.fill(salted, (byte) 0);
    }
  }

  /** Deletes a user's SCRAM credential (INVALID_REQUEST if it has none). Needs ALTER on the cluster. */
  public void deleteScramCredential(String name) {
    call(channel -> admin(channel).alterUserScramCredentials(dev.skein.proto.v1.AlterUserScramCredentialsRequest
        .newBuilder().addDeletions(dev.skein.proto.v1.ScramCredentialDeletion.newBuilder().setName(name)
            .setMechanism(dev.skein.rpc.Scram.MECHANISM)).build()));
  }

  /** Users with a SCRAM credential (all when {@code names} is empty), sorted: names, mechanism, iterations, never keys. */
  public List<dev.skein.proto.v1.ScramCredentialInfo> describeScramCredentials(Collection<String> names) {
    return call(channel -> admin(channel).describeUserScramCredentials(dev.skein.proto.v1
        .DescribeUserScramCredentialsRequest.newBuilder().addAllNames(names).build()).getCredentialsList());
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

  /**
   * What each broker stores, as Kafka's describeLogDirs: per broker its log directories, and in
   * each the partition replicas with their size on disk, segment count, log start and end
   * offsets and whether that broker leads the partition. The brokers are asked in parallel; one
   * that cannot be reached or does not answer within the request timeout is in the result with
   * its error instead of failing the call, so a broker that is down does not hide the others.
   *
   * @param topics the topics whose replicas to list; empty: every replica, internal topics included
   * @param brokerIds the brokers to ask; empty: every registered broker that is not fenced
   * @return one entry per broker asked, by broker id
   * @throws SkeinException when the request itself is refused (UNKNOWN_TOPIC, INVALID_REQUEST: every
   *     broker would say the same), or for a broker id the cluster does not have
   */
  public List<BrokerLogDirs> describeLogDirs(Collection<String> topics, Collection<Integer> brokerIds) {
    Map<Integer, BrokerNode> known = metadata.refresh().brokers();
    List<BrokerNode> asked = new ArrayList<>();
    if (brokerIds.isEmpty()) {
      known.values().stream().filter(b -> b.state() != dev.skein.proto.v1.BrokerState.BROKER_STATE_FENCED)
          .forEach(asked::add);
    } else {
      for (int id : new TreeSet<>(brokerIds)) {
        BrokerNode broker = known.get(id);
        if (broker == null) {
          throw new SkeinException(SkeinError.of(ErrorReason.INVALID_REQUEST, "the cluster has no broker " + id
              + "; its brokers are " + new TreeSet<>(known.keySet())));
        }
        asked.add(broker);
      }
    }
    asked.sort(java.util.Comparator.comparingInt(BrokerNode::id));
    DescribeLogDirsRequest request = DescribeLogDirsRequest.newBuilder().addAllTopics(topics).build();
    // All at once: the slowest broker, not the sum of them, bounds the call. Each has the deadline.
    Map<BrokerNode, CompletableFuture<DescribeLogDirsResponse>> calls = new LinkedHashMap<>();
    for (BrokerNode broker : asked) {
      CompletableFuture<DescribeLogDirsResponse> answer = new CompletableFuture<>();
      AdminServiceGrpc.newStub(channels.channel(broker.address()))
          .withDeadlineAfter(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .describeLogDirs(request, completing(answer));
      calls.put(broker, answer);
    }
    List<BrokerLogDirs> out = new ArrayList<>();
    for (Map.Entry<BrokerNode, CompletableFuture<DescribeLogDirsResponse>> call : calls.entrySet()) {
      try {
        out.add(BrokerLogDirs.answered(call.getKey(), call.getValue().get()));
      } catch (ExecutionException e) {
        SkeinException failure = SkeinException.from(e.getCause());
        boolean aboutTheRequest = failure.reason()
            .filter(r -> r == ErrorReason.UNKNOWN_TOPIC || r == ErrorReason.INVALID_REQUEST).isPresent();
        if (aboutTheRequest) {
          throw failure;
        }
        out.add(BrokerLogDirs.failed(call.getKey(), failure));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SkeinException("interrupted", Status.Code.CANCELLED, e);
      }
    }
    return List.copyOf(out);
  }

  /** Completes {@code answer} with a unary call's response or failure. */
  private static <T> io.grpc.stub.StreamObserver<T> completing(CompletableFuture<T> answer) {
    return new io.grpc.stub.StreamObserver<>() {
      @Override
      public void onNext(T value) {
        answer.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        // onNext has completed it: a unary call answers once.
      }
    };
  }

  public ClusterDescription describeCluster() {
    return call(channel -> ClusterDescription.from(ClusterServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .describeCluster(DescribeClusterRequest.getDefaultInstance())));
  }

  // ---------------------------------------------------------------------------------------
  // Consumer groups
  // ---------------------------------------------------------------------------------------

  /** Every consumer group in the cluster: each running broker lists the groups it coordinates. */
  public List<ConsumerGroupListing> listGroups() {
    Map<String, ConsumerGroupListing> out = new TreeMap<>();
    for (BrokerNode broker : metadata.refresh().brokers().values()) {
      if (!broker.running()) {
        continue;
      }
      GroupServiceGrpc.newBlockingStub(channels.channel(broker.address()))
          .withDeadlineAfter(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
          .listGroups(ListGroupsRequest.getDefaultInstance()).getGroupsList()
          .forEach(g -> out.put(g.getGroupId(), new ConsumerGroupListing(g.getGroupId(), stateName(g.getState()),
              g.getMembers(), g.getCoordinatorId())));
    }
    return List.copyOf(out.values());
  }

  /**
   * A group's members and, per partition, committed offset, log end offset and lag. The log
   * end offsets come from ListOffsets (the leaders' high watermarks), so no record is fetched.
   */
  public ConsumerGroupDescription describeGroup(String groupId) {
    DescribeGroupResponse d = group(groupId).call(stub -> stub.describeGroup(
        DescribeGroupRequest.newBuilder().setGroupId(groupId).build()), config.requestTimeout().toMillis());
    Map<TopicPartition, Long> committed = new TreeMap<>();
    d.getOffsetsList().forEach(o -> committed.put(new TopicPartition(o.getTopic(), o.getPartition()), o.getOffset()));
    Map<TopicPartition, GroupMember> owners = new HashMap<>();
    List<ConsumerGroupDescription.Member> members = new ArrayList<>();
    for (GroupMember m : d.getMembersList()) {
      List<TopicPartition> assigned = partitions(m.getAssignmentList());
      assigned.forEach(tp -> owners.put(tp, m));
      members.add(new ConsumerGroupDescription.Member(m.getMemberId(), m.getInstanceId(), m.getClientId(),
          m.getClientHost(), m.getMemberEpoch(), assigned, partitions(m.getTargetList())));
    }
    TreeSet<TopicPartition> all = new TreeSet<>(committed.keySet());
    all.addAll(owners.keySet());
    Map<TopicPartition, Long> ends = logOffsets(all, OffsetSpec.OFFSET_SPEC_LATEST, 0);
    List<ConsumerGroupDescription.PartitionLag> rows = new ArrayList<>();
    for (TopicPartition tp : all) {
      long current = committed.getOrDefault(tp, -1L);
      long end = ends.getOrDefault(tp, -1L);
      GroupMember owner = owners.get(tp);
      rows.add(new ConsumerGroupDescription.PartitionLag(tp, current, end,
          current >= 0 && end >= 0 ? Math.max(0, end - current) : -1,
          owner == null ? "" : owner.getMemberId(), owner == null ? "" : owner.getClientHost(),
          owner == null ? "" : owner.getClientId()));
    }
    return new ConsumerGroupDescription(d.getGroupId(), stateName(d.getState()), d.getGroupEpoch(), d.getAssignor(),
        d.getCoordinatorId(), members, rows);
  }

  /** Deletes a group that has no members, with its committed offsets. */
  public void deleteGroup(String groupId) {
    group(groupId).call(stub -> stub.deleteGroup(DeleteGroupRequest.newBuilder().setGroupId(groupId).build()),
        config.requestTimeout().toMillis());
  }

  /** The group's committed offsets (all of them). */
  public Map<TopicPartition, Long> committedOffsets(String groupId) {
    Map<TopicPartition, Long> out = new TreeMap<>();
    for (CommittedOffset o : group(groupId).call(stub -> stub.fetchOffsets(FetchOffsetsRequest.newBuilder()
        .setGroupId(groupId).build()), config.requestTimeout().toMillis()).getOffsetsList()) {
      out.put(new TopicPartition(o.getTopic(), o.getPartition()), o.getOffset());
    }
    return out;
  }

  /**
   * The offsets a reset would set, per partition, clamped to each log's [start, end] as
   * kafka-consumer-groups does. Changes nothing: this is the dry run.
   */
  public Map<TopicPartition, Long> planOffsetReset(String groupId, Collection<TopicPartition> partitions,
      OffsetReset reset) {
    Map<TopicPartition, Long> earliest = logOffsets(partitions, OffsetSpec.OFFSET_SPEC_EARLIEST, 0);
    Map<TopicPartition, Long> latest = logOffsets(partitions, OffsetSpec.OFFSET_SPEC_LATEST, 0);
    Map<TopicPartition, Long> committed = reset instanceof OffsetReset.ShiftBy ? committedOffsets(groupId) : Map.of();
    long timeMs = reset instanceof OffsetReset.ToDatetime t ? t.time().toEpochMilli()
        : reset instanceof OffsetReset.ByDuration d ? Instant.now().minus(d.duration()).toEpochMilli() : -1;
    Map<TopicPartition, Long> byTime = timeMs >= 0
        ? logOffsets(partitions, OffsetSpec.OFFSET_SPEC_TIMESTAMP, timeMs) : Map.of();
    Map<TopicPartition, Long> plan = new LinkedHashMap<>();
    for (TopicPartition tp : new TreeSet<>(partitions)) {
      long start = earliest.get(tp);
      long end = latest.get(tp);
      long target;
      if (reset instanceof OffsetReset.ToEarliest) {
        target = start;
      } else if (reset instanceof OffsetReset.ToLatest) {
        target = end;
      } else if (reset instanceof OffsetReset.ToOffset o) {
        target = o.offset();
      } else if (reset instanceof OffsetReset.ShiftBy s) {
        target = committed.getOrDefault(tp, start) + s.delta();
      } else {
        // By time: the first offset at or after it, or the end when every record is older.
        long found = byTime.getOrDefault(tp, -1L);
        target = found < 0 ? end : found;
      }
      plan.put(tp, Math.max(start, Math.min(end, target)));
    }
    return plan;
  }

  /** Sets committed offsets, backwards too; refused (GROUP_NOT_EMPTY) while the group has members. */
  public void resetOffsets(String groupId, Map<TopicPartition, Long> offsets) {
    ResetOffsetsRequest.Builder request = ResetOffsetsRequest.newBuilder().setGroupId(groupId);
    offsets.forEach((tp, o) -> request.addOffsets(OffsetCommit.newBuilder().setTopic(tp.topic())
        .setPartition(tp.partition()).setOffset(o).setLeaderEpoch(-1)));
    group(groupId).call(stub -> stub.resetOffsets(request.build()), config.requestTimeout().toMillis());
  }

  /** Every partition of a topic, from metadata. */
  public List<TopicPartition> partitionsOf(String topic) {
    return metadata.topic(topic).partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }

  /** Earliest, latest (high watermark) or by-timestamp offsets from each partition's leader; no records are read. */
  public Map<TopicPartition, Long> logOffsets(Collection<TopicPartition> partitions, OffsetSpec spec, long timestamp) {
    Map<TopicPartition, Long> out = new HashMap<>();
    List<TopicPartition> remaining = new ArrayList<>(partitions);
    long deadline = System.nanoTime() + config.requestTimeout().toNanos();
    while (!remaining.isEmpty()) {
      remaining.forEach(tp -> metadata.topic(tp.topic()));
      MetadataCache.Snapshot view = metadata.current();
      Map<BrokerAddress, List<TopicPartition>> byLeader = new LinkedHashMap<>();
      for (TopicPartition tp : remaining) {
        view.leaderOf(tp).ifPresent(leader -> byLeader.computeIfAbsent(leader, k -> new ArrayList<>()).add(tp));
      }
      List<TopicPartition> retry = new ArrayList<>(remaining);
      for (Map.Entry<BrokerAddress, List<TopicPartition>> e : byLeader.entrySet()) {
        ListOffsetsRequest.Builder request = ListOffsetsRequest.newBuilder();
        e.getValue().forEach(tp -> request.addQueries(OffsetQuery.newBuilder().setTopic(tp.topic())
            .setPartition(tp.partition()).setSpec(spec).setTimestampMs(timestamp)));
        try {
          for (OffsetResult r : ConsumerServiceGrpc.newBlockingStub(channels.channel(e.getKey()))
              .withDeadlineAfter(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
              .listOffsets(request.build()).getResultsList()) {
            TopicPartition tp = new TopicPartition(r.getTopic(), r.getPartition());
            if (r.hasError() && !r.getError().getReason().isEmpty()) {
              if (!r.getError().getRetriable()) {
                throw new SkeinException(dev.skein.rpc.SkeinError.fromDetail(r.getError()));
              }
              metadata.invalidate();
            } else {
              out.put(tp, r.getOffset());
              retry.remove(tp);
            }
          }
        } catch (StatusRuntimeException failure) {
          if (!SkeinException.from(failure).retriable()) {
            throw SkeinException.from(failure);
          }
          metadata.invalidate();
        }
      }
      remaining = retry;
      if (!remaining.isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw new SkeinException("no leader answered for " + remaining, Status.Code.UNAVAILABLE, null);
        }
        metadata.invalidate();
        try {
          TimeUnit.MILLISECONDS.sleep(config.retryBackoff().toMillis());
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new SkeinException("interrupted", Status.Code.CANCELLED, ie);
        }
      }
    }
    return out;
  }

  private GroupCalls group(String groupId) {
    return new GroupCalls(groupId, config, channels, metadata);
  }

  private static List<TopicPartition> partitions(List<TopicPartitions> list) {
    List<TopicPartition> out = new ArrayList<>();
    list.forEach(t -> t.getPartitionsList().forEach(p -> out.add(new TopicPartition(t.getTopic(), p))));
    return out;
  }

  /** Kafka's state names, as kafka-consumer-groups prints them. */
  private static String stateName(GroupState state) {
    return switch (state) {
      case GROUP_STATE_EMPTY -> "Empty";
      case GROUP_STATE_RECONCILING -> "Reconciling";
      case GROUP_STATE_STABLE -> "Stable";
      default -> "Unknown";
    };
  }

  private AdminServiceGrpc.AdminServiceBlockingStub admin(Channel channel) {
    return AdminServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Runs the call on the broker in use; only "unreachable" moves on to the next bootstrap broker,
   * which then stays in use.
   */
  private <T> T call(Function<Channel, T> rpc) {
    List<BrokerAddress> candidates;
    synchronized (order) {
      candidates = List.copyOf(order);
    }
    StatusRuntimeException last = null;
    for (BrokerAddress address : candidates) {
      try {
        T result;
        try {
          result = rpc.apply(channels.channel(address));
        } catch (StatusRuntimeException e) {
          if (!dev.skein.rpc.Scram.isUnknownToken(e)) {
            throw e;
          }
          // The broker forgot the SCRAM token (it expired, or the broker restarted); the channel
          // dropped it, so this second try authenticates again first.
          result = rpc.apply(channels.channel(address));
        }
        keepUsing(address);
        return result;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || dev.skein.rpc.SkeinError.fromThrowable(e).isPresent()) {
          keepUsing(address);
          throw SkeinException.from(e);
        }
        last = e;
      }
    }
    String why = last == null ? ""
        : dev.skein.client.internal.TlsFailures.explain(last, config.tls().enabled()).map(m -> ": " + m).orElse("");
    throw new SkeinException("no broker reachable at " + config.bootstrap() + why, Status.Code.UNAVAILABLE, last);
  }

  /** Makes the broker that answered the one in use, if it was not already. */
  private void keepUsing(BrokerAddress answered) {
    synchronized (order) {
      if (!order.get(0).equals(answered)) {
        order.remove(answered);
        order.add(0, answered);
      }
    }
  }

  @Override
  public void close() {
    channels.close();
  }
}
