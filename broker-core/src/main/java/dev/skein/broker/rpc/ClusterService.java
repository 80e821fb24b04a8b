package dev.skein.broker.rpc;

import dev.skein.broker.auth.Authorizer;
import dev.skein.broker.auth.Caller;
import dev.skein.metadata.MetadataQuorum;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclResourceType;
import dev.skein.metadata.QuorumStatus;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.proto.v1.ClusterServiceGrpc;
import dev.skein.proto.v1.DescribeClusterRequest;
import dev.skein.proto.v1.DescribeClusterResponse;
import dev.skein.proto.v1.GetMetadataRequest;
import dev.skein.proto.v1.GetMetadataResponse;
import dev.skein.proto.v1.QuorumMember;
import dev.skein.proto.v1.QuorumRole;
import dev.skein.proto.v1.TopicMetadata;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.stub.StreamObserver;

/** Metadata for routing, and the cluster's state, from this broker's own image. */
public final class ClusterService extends ClusterServiceGrpc.ClusterServiceImplBase {

  private final int brokerId;
  private final MetadataQuorum quorum;
  private final Errors errors;
  private final Authorizer authorizer;

  public ClusterService(int brokerId, MetadataQuorum quorum, Errors errors, Authorizer authorizer) {
    this.authorizer = authorizer;
    this.brokerId = brokerId;
    this.quorum = quorum;
    this.errors = errors;
  }

  @Override
  public void getMetadata(GetMetadataRequest request, StreamObserver<GetMetadataResponse> response) {
    ClusterImage image = quorum.image();
    GetMetadataResponse.Builder out = GetMetadataResponse.newBuilder()
        .setClusterId(image.clusterId())
        .setControllerId(quorum.leaderId().orElse(-1))
        .setMetadataOffset(image.offset());
    image.brokers().brokers().values().forEach(b -> out.addBrokers(MetadataMapping.broker(b)));
    Caller caller = Caller.current();
    if (request.getAllTopics()) {
      // As Kafka: topics the caller may not describe are left out, not reported.
      image.topics().byName().values().stream()
          .filter(t -> authorizer.visible(caller, AclOperation.ACL_OPERATION_DESCRIBE,
              AclResourceType.ACL_RESOURCE_TYPE_TOPIC, t.name()))
          .forEach(t -> out.addTopics(MetadataMapping.topic(image, t)));
    } else {
      for (String name : request.getTopicsList()) {
        if (!authorizer.allowed(caller, AclOperation.ACL_OPERATION_DESCRIBE, AclResourceType.ACL_RESOURCE_TYPE_TOPIC,
            name)) {
          // Asked for by name: say it is refused (whether or not it exists, which is not told).
          out.addTopics(TopicMetadata.newBuilder().setName(name).setError(Authorizer.denial(caller,
              AclOperation.ACL_OPERATION_DESCRIBE, AclResourceType.ACL_RESOURCE_TYPE_TOPIC, name).error().toDetail()));
          continue;
        }
        out.addTopics(image.topics().byName(name).map(t -> MetadataMapping.topic(image, t))
            .orElseGet(() -> TopicMetadata.newBuilder().setName(name)
                .setError(SkeinError.of(ErrorReason.UNKNOWN_TOPIC, "topic '" + name + "' does not exist").toDetail())
                .build()));
      }
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void describeCluster(DescribeClusterRequest request, StreamObserver<DescribeClusterResponse> response) {
    quorum.quorumStatus().whenComplete((status, failure) -> {
      if (failure != null) {
        response.onError(errors.toStatus(failure, "describe cluster"));
        return;
      }
      ClusterImage image = quorum.image();
      DescribeClusterResponse.Builder out = DescribeClusterResponse.newBuilder()
          .setClusterId(image.clusterId())
          .setControllerId(status.leaderId())
          .setAnsweredBy(brokerId)
          .setMetadataOffset(image.offset())
          .setQuorum(quorum(status));
      image.brokers().brokers().values().forEach(b -> out.addBrokers(MetadataMapping.broker(b)));
      response.onNext(out.build());
      response.onCompleted();
    });
  }

  private static dev.skein.proto.v1.QuorumStatus quorum(QuorumStatus status) {
    dev.skein.proto.v1.QuorumStatus.Builder q = dev.skein.proto.v1.QuorumStatus.newBuilder()
        .setLeaderId(status.leaderId()).setTerm(status.term()).setCommitIndex(status.commitIndex());
    for (QuorumStatus.Member m : status.members()) {
      q.addMembers(QuorumMember.newBuilder().setId(m.id()).setAddress(m.raftAddress())
          .setRole(switch (m.role()) {
            case LEADER -> QuorumRole.QUORUM_ROLE_LEADER;
            case FOLLOWER -> QuorumRole.QUORUM_ROLE_FOLLOWER;
            case LISTENER -> QuorumRole.QUORUM_ROLE_LISTENER;
          })
          .setCommitIndex(m.commitIndex()).setLastContactMs(m.lastContactMs()));
    }
    return q.build();
  }
}
