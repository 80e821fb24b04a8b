package dev.skein.broker.group;

import dev.skein.broker.BrokerException;
import dev.skein.broker.auth.Authorizer;
import dev.skein.broker.auth.Caller;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclResourceType;
import dev.skein.broker.rpc.Errors;
import dev.skein.proto.internal.v1.PartitionSet;
import dev.skein.proto.v1.CommitOffsetsRequest;
import dev.skein.proto.v1.CommitOffsetsResponse;
import dev.skein.proto.v1.CommittedOffset;
import dev.skein.proto.v1.DeleteGroupRequest;
import dev.skein.proto.v1.DeleteGroupResponse;
import dev.skein.proto.v1.DescribeGroupRequest;
import dev.skein.proto.v1.DescribeGroupResponse;
import dev.skein.proto.v1.FetchOffsetsRequest;
import dev.skein.proto.v1.FetchOffsetsResponse;
import dev.skein.proto.v1.FindCoordinatorRequest;
import dev.skein.proto.v1.FindCoordinatorResponse;
import dev.skein.proto.v1.GroupListing;
import dev.skein.proto.v1.GroupMember;
import dev.skein.proto.v1.GroupServiceGrpc;
import dev.skein.proto.v1.HeartbeatRequest;
import dev.skein.proto.v1.HeartbeatResponse;
import dev.skein.proto.v1.ListGroupsRequest;
import dev.skein.proto.v1.ListGroupsResponse;
import dev.skein.proto.v1.OffsetCommit;
import dev.skein.proto.v1.ResetOffsetsRequest;
import dev.skein.proto.v1.ResetOffsetsResponse;
import dev.skein.proto.v1.TopicPartitions;
import dev.skein.rpc.ErrorReason;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The GroupService calls: checks requests (a bad one is refused before anything is written)
 * and hands them to the {@link GroupCoordinator}.
 */
public final class GroupService extends GroupServiceGrpc.GroupServiceImplBase {

  /** Longest group id, instance id and client id accepted. */
  public static final int MAX_ID_LENGTH = 255;
  /** Longest metadata string kept with an offset (Kafka's offset.metadata.max.bytes). */
  public static final int MAX_METADATA_LENGTH = 4096;

  private static final Context.Key<String> CLIENT_HOST = Context.key("skein-client-host");

  private final GroupCoordinator coordinator;
  private final Errors errors;

  private final Authorizer authorizer;

  public GroupService(GroupCoordinator coordinator, Errors errors, Authorizer authorizer) {
    this.authorizer = authorizer;
    this.coordinator = coordinator;
    this.errors = errors;
  }

  /** The service, with the caller's address recorded for DescribeGroup's HOST column. */
  public ServerServiceDefinition definition() {
    return ServerInterceptors.intercept(bindService(), new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        String host = remote instanceof InetSocketAddress a ? "/" + a.getAddress().getHostAddress() : "";
        return Contexts.interceptCall(Context.current().withValue(CLIENT_HOST, host), call, headers, next);
      }
    });
  }

  @Override
  public void findCoordinator(FindCoordinatorRequest request, StreamObserver<FindCoordinatorResponse> response) {
    answer(response, "find the coordinator of group '" + request.getGroupId() + "'", () -> {
      requireGroupId(request.getGroupId());
      requireGroup(AclOperation.ACL_OPERATION_DESCRIBE, request.getGroupId());
      return coordinator.findCoordinator(request.getGroupId()).thenApply(c -> FindCoordinatorResponse.newBuilder()
          .setCoordinatorId(c.brokerId()).setHost(c.host()).setPort(c.port()).setPartition(c.partition()).build());
    });
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> response) {
    String host = CLIENT_HOST.get() == null ? "" : CLIENT_HOST.get();
    answer(response, "heartbeat to group '" + request.getGroupId() + "'", () -> {
      requireGroupId(request.getGroupId());
      requireGroup(AclOperation.ACL_OPERATION_READ, request.getGroupId());
      int epoch = request.getMemberEpoch();
      if (epoch < Membership.STATIC_LEAVE_EPOCH) {
        throw invalid("member_epoch must be 0 (join), a given epoch, -1 (leave) or -2 (static leave); got " + epoch);
      }
      if (epoch != 0 && request.getMemberId().isEmpty()) {
        throw invalid("member_id is required with member_epoch " + epoch + "; join with member_epoch 0 first");
      }
      requireLength("member_id", request.getMemberId());
      requireLength("instance_id", request.getInstanceId());
      requireLength("client_id", request.getClientId());
      if (epoch >= 0 && request.getSubscribedTopicNamesCount() == 0 && request.getSubscribedTopicRegex().isEmpty()) {
        throw invalid("a member must subscribe to topic names or a regular expression");
      }
      if (!request.getSubscribedTopicRegex().isEmpty()) {
        try {
          Pattern.compile(request.getSubscribedTopicRegex());
        } catch (PatternSyntaxException e) {
          throw BrokerException.of(ErrorReason.INVALID_REGULAR_EXPRESSION, "subscribed_topic_regex '"
              + request.getSubscribedTopicRegex() + "' is not a valid regular expression: " + e.getDescription(),
              Map.of("regex", request.getSubscribedTopicRegex()));
        }
      }
      if (Assignors.byName(request.getAssignor()).isEmpty()) {
        throw BrokerException.of(ErrorReason.UNSUPPORTED_ASSIGNOR, "assignor '" + request.getAssignor()
            + "' is not one of " + Assignors.names(), Map.of("assignor", request.getAssignor()));
      }
      Set<TopicPartition> owned = new HashSet<>();
      request.getOwnedPartitionsList().forEach(t -> t.getPartitionsList()
          .forEach(p -> owned.add(new TopicPartition(t.getTopic(), p))));
      Membership.Heartbeat hb = new Membership.Heartbeat(request.getMemberId(), epoch, request.getInstanceId(),
          List.copyOf(new TreeSet<>(request.getSubscribedTopicNamesList())), request.getSubscribedTopicRegex(),
          request.getAssignor(), owned, request.getClientId(), host);
      return coordinator.heartbeat(request.getGroupId(), hb).thenApply(a -> HeartbeatResponse.newBuilder()
          .setMemberId(a.memberId()).setMemberEpoch(a.memberEpoch())
          .setHeartbeatIntervalMs((int) a.heartbeatIntervalMs())
          .setSessionTimeoutMs((int) coordinator.config().sessionTimeout().toMillis())
          .addAllAssignment(toProto(a.assignment())).build());
    });
  }

  @Override
  public void commitOffsets(CommitOffsetsRequest request, StreamObserver<CommitOffsetsResponse> response) {
    answer(response, "commit offsets of group '" + request.getGroupId() + "'", () -> {
      requireGroupId(request.getGroupId());
      requireGroup(AclOperation.ACL_OPERATION_READ, request.getGroupId());
      requireTopics(AclOperation.ACL_OPERATION_READ, request.getOffsetsList().stream().map(OffsetCommit::getTopic));
      if (request.getMemberId().isEmpty() && request.getMemberEpoch() != -1 && request.getMemberEpoch() != 0) {
        throw invalid("a commit without member_id must have member_epoch -1; got " + request.getMemberEpoch());
      }
      return coordinator.commit(request.getGroupId(), request.getMemberId(), request.getMemberEpoch(),
          offsets(request.getOffsetsList())).thenApply(v -> CommitOffsetsResponse.getDefaultInstance());
    });
  }

  @Override
  public void fetchOffsets(FetchOffsetsRequest request, StreamObserver<FetchOffsetsResponse> response) {
    answer(response, "fetch offsets of group '" + request.getGroupId() + "'", () -> {
      requireGroupId(request.getGroupId());
      requireGroup(AclOperation.ACL_OPERATION_DESCRIBE, request.getGroupId());
      requireTopics(AclOperation.ACL_OPERATION_DESCRIBE, request.getPartitionsList().stream()
          .map(TopicPartitions::getTopic));
      Caller caller = Caller.current();
      Map<TopicPartition, GroupRecords.Committed> all = coordinator.fetchOffsets(request.getGroupId());
      FetchOffsetsResponse.Builder out = FetchOffsetsResponse.newBuilder();
      if (request.getPartitionsCount() == 0) {
        // All of the group's offsets: those of topics the caller may not describe are left out.
        all.forEach((tp, c) -> {
          if (authorizer.visible(caller, AclOperation.ACL_OPERATION_DESCRIBE, AclResourceType.ACL_RESOURCE_TYPE_TOPIC,
              tp.topic())) {
            out.addOffsets(toProto(tp, c));
          }
        });
      } else {
        for (TopicPartitions t : request.getPartitionsList()) {
          for (int p : t.getPartitionsList()) {
            TopicPartition tp = new TopicPartition(t.getTopic(), p);
            out.addOffsets(toProto(tp, all.get(tp)));
          }
        }
      }
      return CompletableFuture.completedFuture(out.build());
    });
  }

  @Override
  public void listGroups(ListGroupsRequest request, StreamObserver<ListGroupsResponse> response) {
    answer(response, "list groups", () -> {
      ListGroupsResponse.Builder out = ListGroupsResponse.newBuilder();
      Caller caller = Caller.current();
      for (GroupCoordinator.Description d : coordinator.list()) {
        if (!authorizer.visible(caller, AclOperation.ACL_OPERATION_DESCRIBE, AclResourceType.ACL_RESOURCE_TYPE_GROUP,
            d.groupId())) {
          continue;
        }
        out.addGroups(GroupListing.newBuilder().setGroupId(d.groupId()).setState(stateOf(d.state()))
            .setMembers(d.state() == null ? 0 : d.state().members().size()).setCoordinatorId(brokerIdOf()));
      }
      return CompletableFuture.completedFuture(out.build());
    });
  }

  @Override
  public void describeGroup(DescribeGroupRequest request, StreamObserver<DescribeGroupResponse> response) {
    answer(response, "describe group '" + request.getGroupId() + "'", () -> {
      requireGroupId(request.getGroupId());
      requireGroup(AclOperation.ACL_OPERATION_DESCRIBE, request.getGroupId());
      GroupCoordinator.Description d = coordinator.describe(request.getGroupId());
      DescribeGroupResponse.Builder out = DescribeGroupResponse.newBuilder().setGroupId(d.groupId())
          .setState(stateOf(d.state())).setCoordinatorId(brokerIdOf());
      if (d.state() != null) {
        out.setGroupEpoch(d.state().groupEpoch()).setAssignor(d.state().assignor());
        for (MemberState m : d.state().members().values()) {
          out.addMembers(GroupMember.newBuilder().setMemberId(m.memberId()).setInstanceId(m.instanceId())
              .setClientId(m.clientId()).setClientHost(m.clientHost()).setMemberEpoch(m.memberEpoch())
              .addAllSubscribedTopicNames(m.topics()).setSubscribedTopicRegex(m.regex())
              .addAllAssignment(toProto(m.assigned())).addAllRevoking(toProto(m.revoking()))
              .addAllTarget(toProto(m.target())));
        }
      }
      d.offsets().forEach((tp, c) -> out.addOffsets(toProto(tp, c)));
      return CompletableFuture.completedFuture(out.build());
    });
  }

  @Override
  public void deleteGroup(DeleteGroupRequest request, StreamObserver<DeleteGroupResponse> response) {
    answer(response, "delete group '" + request.getGroupId() + "'", () -> {
      requireGroupId(request.getGroupId());
      requireGroup(AclOperation.ACL_OPERATION_DELETE, request.getGroupId());
      return coordinator.delete(request.getGroupId()).thenApply(v -> DeleteGroupResponse.getDefaultInstance());
    });
  }

  @Override
  public void resetOffsets(ResetOffsetsRequest request, StreamObserver<ResetOffsetsResponse> response) {
    answer(response, "reset offsets of group '" + request.getGroupId() + "'", () -> {
      requireGroupId(request.getGroupId());
      requireGroup(AclOperation.ACL_OPERATION_READ, request.getGroupId());
      requireTopics(AclOperation.ACL_OPERATION_READ, request.getOffsetsList().stream().map(OffsetCommit::getTopic));
      if (request.getOffsetsCount() == 0) {
        throw invalid("name at least one partition and its new offset");
      }
      return coordinator.resetOffsets(request.getGroupId(), offsets(request.getOffsetsList()))
          .thenApply(v -> ResetOffsetsResponse.getDefaultInstance());
    });
  }

  // ---------------------------------------------------------------------------------------

  private void requireGroup(AclOperation operation, String groupId) {
    authorizer.require(Caller.current(), operation, AclResourceType.ACL_RESOURCE_TYPE_GROUP, groupId);
  }

  private void requireTopics(AclOperation operation, java.util.stream.Stream<String> topics) {
    Caller caller = Caller.current();
    topics.distinct().forEach(topic -> authorizer.require(caller, operation, AclResourceType.ACL_RESOURCE_TYPE_TOPIC,
        topic));
  }

  private int brokerIdOf() {
    return coordinator.brokerId();
  }

  private static List<GroupCoordinator.OffsetCommit> offsets(List<OffsetCommit> commits) {
    List<GroupCoordinator.OffsetCommit> out = new ArrayList<>();
    Set<TopicPartition> seen = new HashSet<>();
    for (OffsetCommit c : commits) {
      TopicPartition tp = new TopicPartition(c.getTopic(), c.getPartition());
      if (c.getOffset() < 0) {
        throw invalid("offset for " + tp + " must be >= 0, got " + c.getOffset());
      }
      if (c.getMetadata().length() > MAX_METADATA_LENGTH) {
        throw invalid("metadata for " + tp + " is " + c.getMetadata().length() + " characters; the limit is "
            + MAX_METADATA_LENGTH);
      }
      if (!seen.add(tp)) {
        throw invalid("partition " + tp + " appears twice in the request");
      }
      out.add(new GroupCoordinator.OffsetCommit(tp, c.getOffset(), c.getLeaderEpoch(), c.getMetadata()));
    }
    if (out.isEmpty()) {
      throw invalid("the request names no offsets");
    }
    return out;
  }

  static void requireGroupId(String groupId) {
    if (groupId.isEmpty()) {
      throw BrokerException.of(ErrorReason.INVALID_GROUP_ID, "group_id is empty", Map.of());
    }
    if (groupId.length() > MAX_ID_LENGTH) {
      throw BrokerException.of(ErrorReason.INVALID_GROUP_ID, "group_id is " + groupId.length()
          + " characters long; the limit is " + MAX_ID_LENGTH, Map.of("max_length", Integer.toString(MAX_ID_LENGTH)));
    }
  }

  private static void requireLength(String field, String value) {
    if (value.length() > MAX_ID_LENGTH) {
      throw invalid(field + " is " + value.length() + " characters long; the limit is " + MAX_ID_LENGTH);
    }
  }

  private static BrokerException invalid(String message) {
    return BrokerException.of(ErrorReason.INVALID_REQUEST, message);
  }

  private static dev.skein.proto.v1.GroupState stateOf(GroupState s) {
    if (s == null || s.isEmpty()) {
      return dev.skein.proto.v1.GroupState.GROUP_STATE_EMPTY;
    }
    return s.stable() ? dev.skein.proto.v1.GroupState.GROUP_STATE_STABLE
        : dev.skein.proto.v1.GroupState.GROUP_STATE_RECONCILING;
  }

  private static List<TopicPartitions> toProto(Set<TopicPartition> partitions) {
    List<TopicPartitions> out = new ArrayList<>();
    for (PartitionSet s : GroupRecords.toSets(partitions)) {
      out.add(TopicPartitions.newBuilder().setTopic(s.getTopic()).addAllPartitions(s.getPartitionsList()).build());
    }
    return out;
  }

  private static CommittedOffset toProto(TopicPartition tp, GroupRecords.Committed c) {
    CommittedOffset.Builder b = CommittedOffset.newBuilder().setTopic(tp.topic()).setPartition(tp.partition());
    if (c == null) {
      return b.setOffset(-1).setLeaderEpoch(-1).build();
    }
    return b.setOffset(c.offset()).setLeaderEpoch(c.leaderEpoch()).setMetadata(c.metadata())
        .setCommitTimestampMs(c.commitTimestampMs()).build();
  }

  /** Runs the call; any failure (thrown or completed exceptionally) becomes a status with its reason. */
  private <T> void answer(StreamObserver<T> response, String what, Supplier<CompletableFuture<T>> call) {
    CompletableFuture<T> result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    result.whenComplete((value, failure) -> {
      if (failure != null) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause() : failure;
        response.onError(errors.toStatus(cause, what));
      } else {
        response.onNext(value);
        response.onCompleted();
      }
    });
  }
}
