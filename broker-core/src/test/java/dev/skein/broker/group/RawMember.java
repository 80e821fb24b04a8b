package dev.skein.broker.group;

import dev.skein.proto.v1.GroupServiceGrpc;
import dev.skein.proto.v1.HeartbeatRequest;
import dev.skein.proto.v1.HeartbeatResponse;
import dev.skein.proto.v1.TopicPartitions;
import io.grpc.Channel;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** A group member speaking GroupService in plain gRPC, applying each assignment at once. */
final class RawMember {

  private final GroupServiceGrpc.GroupServiceBlockingStub stub;
  private final String group;
  private final List<String> topics;
  String memberId = "";
  int epoch;
  Set<TopicPartition> owned = new TreeSet<>();

  RawMember(Channel coordinator, String group, List<String> topics) {
    this.stub = GroupServiceGrpc.newBlockingStub(coordinator);
    this.group = group;
    this.topics = topics;
  }

  /** One heartbeat reporting what it owns; the answer's assignment is applied at once. */
  HeartbeatResponse heartbeat() {
    HeartbeatResponse r = stub.heartbeat(request(epoch).build());
    memberId = r.getMemberId();
    epoch = r.getMemberEpoch();
    owned = new TreeSet<>();
    for (TopicPartitions t : r.getAssignmentList()) {
      t.getPartitionsList().forEach(p -> owned.add(new TopicPartition(t.getTopic(), p)));
    }
    return r;
  }

  HeartbeatRequest.Builder request(int withEpoch) {
    HeartbeatRequest.Builder b = HeartbeatRequest.newBuilder().setGroupId(group).setMemberId(memberId)
        .setMemberEpoch(withEpoch).addAllSubscribedTopicNames(topics);
    java.util.Map<String, TopicPartitions.Builder> byTopic = new java.util.TreeMap<>();
    owned.forEach(tp -> byTopic.computeIfAbsent(tp.topic(), t -> TopicPartitions.newBuilder().setTopic(t))
        .addPartitions(tp.partition()));
    byTopic.values().forEach(b::addOwnedPartitions);
    return b;
  }

  /** Joins afresh (a new member id). */
  HeartbeatResponse rejoin() {
    memberId = "";
    epoch = 0;
    owned = new TreeSet<>();
    return heartbeat();
  }
}
