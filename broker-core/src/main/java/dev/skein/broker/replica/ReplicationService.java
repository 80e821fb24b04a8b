package dev.skein.broker.replica;

import dev.skein.broker.fetch.DataWatchers;
import dev.skein.broker.rpc.Errors;
import dev.skein.broker.rpc.FetchFrame;
import dev.skein.broker.rpc.FetchFrameMarshaller;
import dev.skein.proto.internal.v1.ReplicaFetchRequest;
import dev.skein.proto.internal.v1.ReplicationServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.IntConsumer;

/**
 * The leader's end of replication: serves follower fetches on one stream per follower broker.
 * Responses carry the leader's stored batch bytes as they are ({@link FetchFrame#replica}).
 */
public final class ReplicationService {

  private final ReplicaManager replicas;
  private final DataWatchers commitWatchers;
  private final DataWatchers logEndWatchers;
  private final Errors errors;
  private final Executor executor;
  private final ScheduledExecutorService timer;
  private final IntConsumer reportUnreachable;

  /**
   * @param reportUnreachable told the follower's id when its stream fails: it may be gone
   */
  public ReplicationService(ReplicaManager replicas, DataWatchers commitWatchers, DataWatchers logEndWatchers,
      Errors errors, Executor executor, ScheduledExecutorService timer, IntConsumer reportUnreachable) {
    this.replicas = replicas;
    this.commitWatchers = commitWatchers;
    this.logEndWatchers = logEndWatchers;
    this.errors = errors;
    this.executor = executor;
    this.timer = timer;
    this.reportUnreachable = reportUnreachable;
  }

  public ServerServiceDefinition bindService() {
    MethodDescriptor<ReplicaFetchRequest, FetchFrame> replicate = ReplicationServiceGrpc.getReplicateMethod()
        .toBuilder(ProtoUtils.marshaller(ReplicaFetchRequest.getDefaultInstance()), FetchFrameMarshaller.INSTANCE)
        .build();
    ServiceDescriptor descriptor = ServiceDescriptor.newBuilder(ReplicationServiceGrpc.SERVICE_NAME)
        .setSchemaDescriptor(ReplicationServiceGrpc.getServiceDescriptor().getSchemaDescriptor())
        .addMethod(replicate)
        .build();
    return ServerServiceDefinition.builder(descriptor)
        .addMethod(replicate, ServerCalls.asyncBidiStreamingCall(this::replicate))
        .build();
  }

  private StreamObserver<ReplicaFetchRequest> replicate(StreamObserver<FetchFrame> responses) {
    return new StreamObserver<>() {
      private final FetchSession session = new FetchSession();
      private FollowerFetch pending;
      private volatile int follower = -1;

      @Override
      public void onNext(ReplicaFetchRequest request) {
        follower = request.getReplicaId();
        FollowerFetch fetch = new FollowerFetch(request, session, replicas, commitWatchers, logEndWatchers, errors, executor,
            frame -> {
              // One response per request, but completions run on pool threads: keep onNext calls apart.
              synchronized (responses) {
                responses.onNext(frame);
              }
            });
        synchronized (this) {
          pending = fetch;
        }
        fetch.start(timer);
      }

      @Override
      public void onError(Throwable t) {
        cancelPending();
        if (follower >= 0) {
          reportUnreachable.accept(follower);
        }
      }

      @Override
      public void onCompleted() {
        cancelPending();
        synchronized (responses) {
          responses.onCompleted();
        }
      }

      private synchronized void cancelPending() {
        if (pending != null) {
          pending.cancel();
        }
      }
    };
  }
}
