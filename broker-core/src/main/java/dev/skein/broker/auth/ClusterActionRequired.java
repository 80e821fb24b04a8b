package dev.skein.broker.auth;

import dev.skein.broker.rpc.CallRefusal;
import dev.skein.metadata.image.AclsImage;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclResourceType;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Guards broker-to-broker services (replication): with the authorizer on, the caller must be
 * allowed CLUSTER_ACTION on the cluster, which brokers get by being super users (or by an ACL).
 * Must run after {@link CallerInterceptor}, which names the caller.
 */
public final class ClusterActionRequired implements ServerInterceptor {

  private final Authorizer authorizer;

  public ClusterActionRequired(Authorizer authorizer) {
    this.authorizer = authorizer;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    Caller caller = Caller.current();
    if (!authorizer.allowed(caller, AclOperation.ACL_OPERATION_CLUSTER_ACTION, AclResourceType.ACL_RESOURCE_TYPE_CLUSTER,
        AclsImage.CLUSTER_NAME)) {
      return CallRefusal.refuse(call, Authorizer.denial(caller, AclOperation.ACL_OPERATION_CLUSTER_ACTION,
          AclResourceType.ACL_RESOURCE_TYPE_CLUSTER, AclsImage.CLUSTER_NAME).error());
    }
    return next.startCall(call, headers);
  }
}
