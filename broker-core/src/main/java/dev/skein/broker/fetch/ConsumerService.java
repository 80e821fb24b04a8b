package dev.skein.broker.fetch;

import dev.skein.broker.BrokerException;
import dev.skein.broker.auth.Authorizer;
import dev.skein.broker.auth.Caller;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclResourceType;
import dev.skein.proto.v1.FetchedPartition;
import dev.skein.proto.v1.PartitionPosition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import dev.skein.broker.metrics.BrokerMetrics;
import dev.skein.broker.replica.Partition;
import dev.skein.broker.replica.ReplicaManager;
import dev.skein.broker.rpc.Errors;
import dev.skein.broker.rpc.FetchFrame;
import dev.skein.broker.rpc.FetchFrameMarshaller;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.FetchRequest;
import dev.skein.proto.v1.ListOffsetsRequest;
import dev.skein.proto.v1.ListOffsetsResponse;
import dev.skein.proto.v1.OffsetQuery;
import dev.skein.proto.v1.OffsetResult;
import dev.skein.proto.v1.SubscribeRequest;
import dev.skein.rpc.ErrorReason;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.LongAdder;

/**
 * Fetch, Subscribe and ListOffsets. Fetch and Subscribe answer with {@link FetchFrame}s, which
 * carry stored batch bytes as they are on disk; the service is bound by hand so those two
 * methods use {@link FetchFrameMarshaller} while clients see the ordinary FetchResponse.
 */
public final class ConsumerService {

  /** Kafka's fetch.max.bytes default. */
  static final int DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

  private final ReplicaManager replicas;
  private final DataWatchers watchers;
  private final Errors errors;
  private final PartitionReads reads;
  private final Executor executor;
  private final ScheduledExecutorService timer;
  private final TimestampLookup timestamps;
  private final LongAdder subscriptionBytes = new LongAdder();

  private final BrokerMetrics metrics;
  private final Authorizer authorizer;

  public ConsumerService(ReplicaManager replicas, DataWatchers watchers, Errors errors, Executor executor,
      ScheduledExecutorService timer, BrokerMetrics metrics, Authorizer authorizer) {
    this.authorizer = authorizer;
    this.metrics = metrics;
    this.replicas = replicas;
    this.watchers = watchers;
    this.errors = errors;
    this.reads = new PartitionReads(replicas, errors);
    this.executor = executor;
    this.timer = timer;
    this.timestamps = new TimestampLookup();
  }

  public ServerServiceDefinition bindService() {
    MethodDescriptor<FetchRequest, FetchFrame> fetch = ConsumerServiceGrpc.getFetchMethod()
        .toBuilder(ProtoUtils.marshaller(FetchRequest.getDefaultInstance()), FetchFrameMarshaller.INSTANCE).build();
    MethodDescriptor<SubscribeRequest, FetchFrame> subscribe = ConsumerServiceGrpc.getSubscribeMethod()
        .toBuilder(ProtoUtils.marshaller(SubscribeRequest.getDefaultInstance()), FetchFrameMarshaller.INSTANCE)
        .build();
    MethodDescriptor<ListOffsetsRequest, ListOffsetsResponse> listOffsets = ConsumerServiceGrpc.getListOffsetsMethod();
    ServiceDescriptor descriptor = ServiceDescriptor.newBuilder(ConsumerServiceGrpc.SERVICE_NAME)
        .setSchemaDescriptor(ConsumerServiceGrpc.getServiceDescriptor().getSchemaDescriptor())
        .addMethod(fetch).addMethod(subscribe).addMethod(listOffsets)
        .build();
    return ServerServiceDefinition.builder(descriptor)
        .addMethod(fetch, ServerCalls.asyncUnaryCall(this::fetch))
        .addMethod(subscribe, ServerCalls.asyncServerStreamingCall(this::subscribe))
        .addMethod(listOffsets, ServerCalls.asyncUnaryCall(this::listOffsets))
        .build();
  }

  /** Batch bytes sent on Subscribe streams since the broker started. */
  public long subscriptionBytesSent() {
    return subscriptionBytes.sum();
  }

  void fetch(FetchRequest request, StreamObserver<FetchFrame> response) {
    if (request.getPartitionsCount() == 0 || request.getMaxWaitMs() < 0) {
      response.onError(BrokerException.of(ErrorReason.INVALID_REQUEST,
          "a fetch needs at least one partition and max_wait_ms >= 0").error().toStatusException());
      return;
    }
    int maxBytes = request.getMaxBytes() > 0 ? request.getMaxBytes() : DEFAULT_MAX_BYTES;
    int minBytes = Math.max(1, request.getMinBytes());
    Map<String, BrokerException> denied = denied(request.getPartitionsList(), AclOperation.ACL_OPERATION_READ);
    if (!denied.isEmpty()) {
      // Answered at once, as any fetch with a partition error: the allowed partitions' data now,
      // each refused partition with its error.
      PartitionReads.Result allowed = reads.read(allowed(request.getPartitionsList(), denied), maxBytes);
      List<PartitionReads.Read> all = new ArrayList<>(allowed.reads());
      all.addAll(refusals(request.getPartitionsList(), denied));
      PartitionReads.Result result = new PartitionReads.Result(all, allowed.bytes(), true);
      metrics.fetchSent(result);
      response.onNext(result.frame());
      response.onCompleted();
      return;
    }
    PartitionReads.Result first = reads.read(request.getPartitionsList(), maxBytes);
    if (first.bytes() >= minBytes || first.anyError() || request.getMaxWaitMs() == 0) {
      metrics.fetchSent(first);
      response.onNext(first.frame());
      response.onCompleted();
      return;
    }
    new DelayedFetch(request, minBytes, maxBytes, reads, watchers, executor,
        (ServerCallStreamObserver<FetchFrame>) response, metrics).start(timer, request.getMaxWaitMs());
  }

  void subscribe(SubscribeRequest request, StreamObserver<FetchFrame> response) {
    if (request.getPartitionsCount() == 0 || request.getMaxWaitMs() < 0) {
      response.onError(BrokerException.of(ErrorReason.INVALID_REQUEST,
          "a subscription needs at least one partition and max_wait_ms >= 0").error().toStatusException());
      return;
    }
    Map<String, BrokerException> denied = denied(request.getPartitionsList(), AclOperation.ACL_OPERATION_READ);
    if (!denied.isEmpty()) {
      // The refused partitions get their errors in a first message (as a partition error would
      // come on a stream); the stream then goes on for the others, or ends if there are none.
      response.onNext(new PartitionReads.Result(refusals(request.getPartitionsList(), denied), 0, true).frame());
      List<PartitionPosition> rest = allowed(request.getPartitionsList(), denied);
      if (rest.isEmpty()) {
        response.onCompleted();
        return;
      }
      request = request.toBuilder().clearPartitions().addAllPartitions(rest).build();
    }
    new Subscription(request, reads, watchers, executor, timer, (ServerCallStreamObserver<FetchFrame>) response,
        subscriptionBytes, metrics).start();
  }

  void listOffsets(ListOffsetsRequest request, StreamObserver<ListOffsetsResponse> response) {
    ListOffsetsResponse.Builder out = ListOffsetsResponse.newBuilder();
    Caller caller = Caller.current();
    for (OffsetQuery query : request.getQueriesList()) {
      OffsetResult.Builder result = OffsetResult.newBuilder().setTopic(query.getTopic())
          .setPartition(query.getPartition()).setOffset(-1).setTimestampMs(-1);
      try {
        // Kafka's rule for ListOffsets: DESCRIBE (which READ implies).
        authorizer.require(caller, AclOperation.ACL_OPERATION_DESCRIBE, AclResourceType.ACL_RESOURCE_TYPE_TOPIC,
            query.getTopic());
        Partition partition = replicas.leaderPartition(query.getTopic(), query.getPartition());
        switch (query.getSpec()) {
          case OFFSET_SPEC_EARLIEST -> result.setOffset(partition.logStartOffset());
          case OFFSET_SPEC_LATEST -> result.setOffset(partition.highWatermark());
          case OFFSET_SPEC_TIMESTAMP -> timestamps.find(partition, query.getTimestampMs())
              .ifPresent(found -> result.setOffset(found.offset()).setTimestampMs(found.timestamp()));
          default -> throw BrokerException.of(ErrorReason.INVALID_REQUEST,
              "spec must be OFFSET_SPEC_EARLIEST, OFFSET_SPEC_LATEST or OFFSET_SPEC_TIMESTAMP");
        }
      } catch (RuntimeException e) {
        result.setError(errors.toDetail(e, "list offsets of " + query.getTopic() + "-" + query.getPartition()));
      }
      out.addResults(result);
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  /** The topics among the positions the caller may not {@code operation}, each with its error (audited once per topic). */
  private Map<String, BrokerException> denied(List<PartitionPosition> positions, AclOperation operation) {
    if (!authorizer.enabled()) {
      return Map.of();
    }
    Caller caller = Caller.current();
    Map<String, BrokerException> denied = new HashMap<>();
    Set<String> checked = new HashSet<>();
    for (PartitionPosition position : positions) {
      String topic = position.getTopic();
      if (checked.add(topic) && !authorizer.allowed(caller, operation, AclResourceType.ACL_RESOURCE_TYPE_TOPIC, topic)) {
        denied.put(topic, Authorizer.denial(caller, operation, AclResourceType.ACL_RESOURCE_TYPE_TOPIC, topic));
      }
    }
    return denied;
  }

  private static List<PartitionPosition> allowed(List<PartitionPosition> positions, Map<String, BrokerException> denied) {
    return positions.stream().filter(p -> !denied.containsKey(p.getTopic())).toList();
  }

  private List<PartitionReads.Read> refusals(List<PartitionPosition> positions, Map<String, BrokerException> denied) {
    List<PartitionReads.Read> out = new ArrayList<>();
    for (PartitionPosition position : positions) {
      BrokerException error = denied.get(position.getTopic());
      if (error != null) {
        out.add(new PartitionReads.Read(FetchFrame.Partition.of(FetchedPartition.newBuilder()
            .setTopic(position.getTopic()).setPartition(position.getPartition())
            .setError(error.error().toDetail()).build()), -1, true));
      }
    }
    return out;
  }
}
