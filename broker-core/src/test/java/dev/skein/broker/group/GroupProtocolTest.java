package dev.skein.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.NewTopic;
import dev.skein.proto.v1.CommitOffsetsRequest;
import dev.skein.proto.v1.DeleteGroupRequest;
import dev.skein.proto.v1.DescribeGroupRequest;
import dev.skein.proto.v1.FetchOffsetsRequest;
import dev.skein.proto.v1.FindCoordinatorRequest;
import dev.skein.proto.v1.FindCoordinatorResponse;
import dev.skein.proto.v1.GroupServiceGrpc;
import dev.skein.proto.v1.HeartbeatRequest;
import dev.skein.proto.v1.OffsetCommit;
import dev.skein.proto.v1.ResetOffsetsRequest;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GroupService in plain gRPC: fencing, redirects and bad input. */
class GroupProtocolTest {

  static final Duration SESSION = Duration.ofSeconds(3);

  @TempDir
  static Path dir;
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3, GroupConfig.DEFAULT.withTimeouts(SESSION, Duration.ofMillis(500))
        .withOffsetsTopic(6, 3));
    cluster.admin().createTopic(NewTopic.of("orders", 4, 3));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  /**
   * The group's coordinator, once it serves: right after __consumer_offsets is created its
   * leaders may still be opening their logs and answer COORDINATOR_NOT_AVAILABLE (retriable).
   */
  static FindCoordinatorResponse coordinatorOf(String group) {
    FindCoordinatorResponse[] found = new FindCoordinatorResponse[1];
    await().atMost(Duration.ofSeconds(20)).ignoreExceptionsMatching(e -> e instanceof StatusRuntimeException s
        && s.getStatus().getCode() == Status.Code.UNAVAILABLE).until(() -> {
          found[0] = GroupServiceGrpc.newBlockingStub(cluster.channel(1))
              .findCoordinator(FindCoordinatorRequest.newBuilder().setGroupId(group).build());
          GroupServiceGrpc.newBlockingStub(cluster.channel(found[0].getCoordinatorId()))
              .fetchOffsets(FetchOffsetsRequest.newBuilder().setGroupId(group).build());
          return true;
        });
    return found[0];
  }

  static GroupServiceGrpc.GroupServiceBlockingStub at(String group) {
    return GroupServiceGrpc.newBlockingStub(cluster.channel(coordinatorOf(group).getCoordinatorId()));
  }

  @Test
  void aMemberSilentPastItsSessionIsFencedCannotCommitAndRejoinsWithAFreshAssignment() {
    String group = "fencing";
    var channel = cluster.channel(coordinatorOf(group).getCoordinatorId());
    RawMember a = new RawMember(channel, group, List.of("orders"));
    // The group's first join: right after the cluster started, the coordinator that answered
    // coordinatorOf's fetchOffsets once refused it still with COORDINATOR_NOT_AVAILABLE
    // (retriable; nothing is written), as a client would be told to retry.
    await().atMost(Duration.ofSeconds(20)).ignoreExceptionsMatching(e -> e instanceof StatusRuntimeException s
        && s.getStatus().getCode() == Status.Code.UNAVAILABLE).until(() -> {
          a.heartbeat();
          return true;
        });
    assertThat(a.owned).hasSize(4);
    a.heartbeat(); // reports the assignment applied
    RawMember b = new RawMember(channel, group, List.of("orders"));
    b.heartbeat();
    // b gets nothing until a has given partitions up: a is "paused" and sends nothing more.
    long pausedAt = System.nanoTime();
    int aEpoch = a.epoch;
    Set<TopicPartition> aOwned = Set.copyOf(a.owned);
    await().atMost(SESSION.plusSeconds(5)).pollInterval(Duration.ofMillis(200)).until(() -> {
      b.heartbeat();
      if (System.nanoTime() - pausedAt < SESSION.toNanos() - 500_000_000L) {
        // Until a's session ends, a may still be processing: nothing of a's may move to b.
        assertThat(b.owned).doesNotContainAnyElementsOf(aOwned);
      }
      return b.owned.size() == 4;
    });
    assertThat(Duration.ofNanos(System.nanoTime() - pausedAt)).isGreaterThan(SESSION.minusMillis(500));

    // The fenced member's commit with its old epoch is refused; nothing is written.
    assertRefused(() -> at(group).commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId(group)
        .setMemberId(a.memberId).setMemberEpoch(aEpoch).addOffsets(offset("orders", 0, 5)).build()),
        Status.Code.NOT_FOUND, ErrorReason.UNKNOWN_MEMBER_ID);
    assertThat(at(group).fetchOffsets(FetchOffsetsRequest.newBuilder().setGroupId(group).build()).getOffsetsList())
        .isEmpty();
    assertRefused(() -> a.heartbeat(), Status.Code.NOT_FOUND, ErrorReason.UNKNOWN_MEMBER_ID);

    // It rejoins as a new member and gets a fresh assignment once b revokes half.
    String oldId = a.memberId;
    a.rejoin();
    assertThat(a.memberId).isNotEqualTo(oldId);
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
      b.heartbeat();
      a.heartbeat();
      return a.owned.size() == 2 && b.owned.size() == 2;
    });
    assertThat(a.owned).doesNotContainAnyElementsOf(b.owned);
    // Now a may commit its own partitions, and not b's.
    TopicPartition mine = a.owned.iterator().next();
    TopicPartition theirs = b.owned.iterator().next();
    at(group).commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId(group).setMemberId(a.memberId)
        .setMemberEpoch(a.epoch).addOffsets(offset(mine.topic(), mine.partition(), 3)).build());
    assertRefused(() -> at(group).commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId(group)
        .setMemberId(a.memberId).setMemberEpoch(a.epoch).addOffsets(offset(theirs.topic(), theirs.partition(), 3))
        .build()), Status.Code.FAILED_PRECONDITION, ErrorReason.FENCED_MEMBER_EPOCH);
  }

  @Test
  void callsToAnotherBrokerAreRedirectedToTheCoordinator() {
    String group = "redirected";
    FindCoordinatorResponse c = coordinatorOf(group);
    int other = c.getCoordinatorId() % 3 + 1;
    StatusRuntimeException e = catchStatus(() -> GroupServiceGrpc.newBlockingStub(cluster.channel(other))
        .heartbeat(HeartbeatRequest.newBuilder().setGroupId(group).addSubscribedTopicNames("orders").build()));
    SkeinError error = SkeinError.fromThrowable(e).orElseThrow();
    assertThat(error.reason()).isEqualTo(ErrorReason.NOT_COORDINATOR);
    assertThat(error.metadata()).containsEntry("coordinator_address", c.getHost() + ":" + c.getPort())
        .containsEntry("coordinator_id", Integer.toString(c.getCoordinatorId()));
  }

  @Test
  void badInputIsRefusedWithAReasonAndWritesNothing() {
    String group = "bad-input";
    int coordinator = coordinatorOf(group).getCoordinatorId();
    var stub = at(group);
    RawMember m = new RawMember(cluster.channel(coordinator), group, List.of("orders"));
    m.heartbeat();
    m.heartbeat();
    stub.commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId(group).setMemberId(m.memberId)
        .setMemberEpoch(m.epoch).addOffsets(offset("orders", 1, 10)).build());
    var log = cluster.broker(coordinator).replicas()
        .partition(OffsetsTopic.NAME, coordinatorOf(group).getPartition()).orElseThrow();
    long logEnd = log.logEndOffset();

    assertRefused(() -> stub.heartbeat(HeartbeatRequest.newBuilder().setGroupId("").addSubscribedTopicNames("orders")
        .build()), Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_GROUP_ID);
    assertRefused(() -> stub.heartbeat(HeartbeatRequest.newBuilder().setGroupId("g".repeat(256))
        .addSubscribedTopicNames("orders").build()), Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_GROUP_ID);
    assertRefused(() -> stub.heartbeat(HeartbeatRequest.newBuilder().setGroupId(group).setSubscribedTopicRegex("ord(ers")
        .build()), Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_REGULAR_EXPRESSION);
    assertRefused(() -> stub.heartbeat(HeartbeatRequest.newBuilder().setGroupId(group).addSubscribedTopicNames("orders")
        .setAssignor("round-robin").build()), Status.Code.INVALID_ARGUMENT, ErrorReason.UNSUPPORTED_ASSIGNOR);
    assertRefused(() -> stub.heartbeat(m.request(m.epoch + 5).build()), Status.Code.FAILED_PRECONDITION,
        ErrorReason.FENCED_MEMBER_EPOCH);
    assertRefused(() -> stub.heartbeat(m.request(-7).build()), Status.Code.INVALID_ARGUMENT,
        ErrorReason.INVALID_REQUEST);
    assertRefused(() -> stub.commitOffsets(commit(group, m, m.epoch + 5, offset("orders", 1, 20))),
        Status.Code.FAILED_PRECONDITION, ErrorReason.FENCED_MEMBER_EPOCH);
    assertRefused(() -> stub.commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId(group).setMemberId("nobody")
        .setMemberEpoch(1).addOffsets(offset("orders", 1, 20)).build()), Status.Code.NOT_FOUND,
        ErrorReason.UNKNOWN_MEMBER_ID);
    assertRefused(() -> stub.commitOffsets(commit(group, m, m.epoch, offset("orders", 9, 20))),
        Status.Code.NOT_FOUND, ErrorReason.UNKNOWN_PARTITION);
    assertRefused(() -> stub.commitOffsets(commit(group, m, m.epoch, offset("no-such-topic", 0, 20))),
        Status.Code.NOT_FOUND, ErrorReason.UNKNOWN_TOPIC);
    assertRefused(() -> stub.commitOffsets(commit(group, m, m.epoch, offset("orders", 1, -3))),
        Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_REQUEST);
    assertRefused(() -> stub.commitOffsets(commit(group, m, m.epoch, offset("orders", 1, 4))),
        Status.Code.FAILED_PRECONDITION, ErrorReason.OFFSET_REGRESSION);
    assertRefused(() -> stub.resetOffsets(ResetOffsetsRequest.newBuilder().setGroupId(group)
        .addOffsets(offset("orders", 1, 0)).build()), Status.Code.FAILED_PRECONDITION, ErrorReason.GROUP_NOT_EMPTY);
    assertRefused(() -> stub.deleteGroup(DeleteGroupRequest.newBuilder().setGroupId(group).build()),
        Status.Code.FAILED_PRECONDITION, ErrorReason.GROUP_NOT_EMPTY);
    assertRefused(() -> at("no-such-group").describeGroup(DescribeGroupRequest.newBuilder()
        .setGroupId("no-such-group").build()), Status.Code.NOT_FOUND, ErrorReason.UNKNOWN_GROUP);
    assertRefused(() -> at("no-such-group").deleteGroup(DeleteGroupRequest.newBuilder()
        .setGroupId("no-such-group").build()), Status.Code.NOT_FOUND, ErrorReason.UNKNOWN_GROUP);

    assertThat(log.logEndOffset()).as("nothing written by refused calls").isEqualTo(logEnd);
    assertThat(stub.fetchOffsets(FetchOffsetsRequest.newBuilder().setGroupId(group).build()).getOffsetsList())
        .singleElement().satisfies(o -> assertThat(o.getOffset()).isEqualTo(10));
  }

  private static CommitOffsetsRequest commit(String group, RawMember m, int epoch, OffsetCommit offset) {
    return CommitOffsetsRequest.newBuilder().setGroupId(group).setMemberId(m.memberId).setMemberEpoch(epoch)
        .addOffsets(offset).build();
  }

  static OffsetCommit offset(String topic, int partition, long offset) {
    return OffsetCommit.newBuilder().setTopic(topic).setPartition(partition).setOffset(offset).setLeaderEpoch(-1)
        .build();
  }

  static void assertRefused(ThrowingCallable call, Status.Code code, ErrorReason reason) {
    StatusRuntimeException e = catchStatus(call);
    assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
    SkeinError error = SkeinError.fromThrowable(e).orElseThrow();
    assertThat(error.reason()).isEqualTo(reason);
    assertThat(error.message()).isNotBlank();
  }

  static StatusRuntimeException catchStatus(ThrowingCallable call) {
    Throwable[] caught = new Throwable[1];
    assertThatThrownBy(() -> {
      try {
        call.call();
      } catch (Throwable t) {
        caught[0] = t;
        throw t;
      }
    }).isInstanceOf(StatusRuntimeException.class);
    return (StatusRuntimeException) caught[0];
  }
}
