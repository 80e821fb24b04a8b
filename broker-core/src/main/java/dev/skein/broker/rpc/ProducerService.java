package dev.skein.broker.rpc;

import dev.skein.broker.BrokerException;
import dev.skein.broker.auth.Authorizer;
import dev.skein.broker.auth.Caller;
import dev.skein.proto.internal.v1.AclOperation;
import dev.skein.proto.internal.v1.AclResourceType;
import dev.skein.broker.fetch.DataWatchers;
import dev.skein.broker.metrics.BrokerMetrics;
import dev.skein.broker.produce.DelayedProduce;
import dev.skein.broker.produce.ProduceFaults;
import dev.skein.broker.produce.ProducerIdManager;
import dev.skein.broker.produce.RecordSetValidator;
import dev.skein.broker.replica.Partition;
import dev.skein.broker.replica.ReplicaManager;
import dev.skein.proto.v1.Acks;
import dev.skein.proto.v1.InitProducerIdRequest;
import dev.skein.proto.v1.InitProducerIdResponse;
import dev.skein.proto.v1.PartitionBatch;
import dev.skein.proto.v1.PartitionProduceResult;
import dev.skein.proto.v1.ProduceOutcome;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProduceResponse;
import dev.skein.proto.v1.ProducerServiceGrpc;
import dev.skein.rpc.AliasingMarshaller;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.RecordCompression;
import dev.skein.rpc.SkeinError;
import dev.skein.storage.log.BatchLayout;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Predicate;

/**
 * Produce: each batch is checked (size, codec, record numbering) and appended by its
 * partition's leader, and answered alone; the others in the same request are unaffected.
 * acks=0 and acks=1 are answered once the leader has appended; acks=all once every in-sync
 * replica has the batch (the high watermark passed it).
 *
 * <p>Every answer is one of three outcomes (the produce contract in producer.proto): stored at
 * an offset; not stored, for a batch refused before it was appended; or unknown, for a batch
 * appended but not confirmed (leadership moved, too few replicas, timeout, a failure inside
 * the append). An error that arises after the append therefore never carries a refusal reason.
 */
public final class ProducerService extends ProducerServiceGrpc.ProducerServiceImplBase {

  private static final String INVALID_REQUEST_MESSAGE =
      "acks must be ACKS_NONE, ACKS_LEADER or ACKS_ALL and timeout_ms must be >= 0";

  /** Kafka's request.timeout.ms default, for requests that do not set timeout_ms. */
  static final int DEFAULT_TIMEOUT_MS = 30_000;

  private final ReplicaManager replicas;
  private final DataWatchers commitWatchers;
  private final Errors errors;
  private final Executor executor;
  private final ScheduledExecutorService timer;
  private final ProducerIdManager producerIds;
  private final ProduceFaults faults;
  private final BrokerMetrics metrics;
  private final Predicate<String> mirrorTopic;
  private final Authorizer authorizer;

  /**
   * @param mirrorTopic whether a topic (by id) is a mirror topic not yet promoted: its batches
   *     are refused with MIRROR_TOPIC_READ_ONLY
   */
  public ProducerService(ReplicaManager replicas, DataWatchers commitWatchers, Errors errors, Executor executor,
      ScheduledExecutorService timer, ProducerIdManager producerIds, ProduceFaults faults, BrokerMetrics metrics,
      Predicate<String> mirrorTopic, Authorizer authorizer) {
    this.authorizer = authorizer;
    this.metrics = metrics;
    this.mirrorTopic = mirrorTopic;
    this.replicas = replicas;
    this.commitWatchers = commitWatchers;
    this.errors = errors;
    this.executor = executor;
    this.timer = timer;
    this.producerIds = producerIds;
    this.faults = faults;
  }

  /**
   * The service with produce requests parsed by an {@link AliasingMarshaller}: each batch's
   * records stay a view of the request's bytes until they are written to the log, saving a
   * copy of every produced byte. Register this rather than {@code bindService()}.
   */
  public ServerServiceDefinition definition() {
    MethodDescriptor<ProduceRequest, ProduceResponse> produce =
        AliasingMarshaller.aliasingRequests(ProducerServiceGrpc.getProduceMethod(), ProduceRequest.parser());
    MethodDescriptor<ProduceRequest, ProduceResponse> produceStream =
        AliasingMarshaller.aliasingRequests(ProducerServiceGrpc.getProduceStreamMethod(), ProduceRequest.parser());
    MethodDescriptor<InitProducerIdRequest, InitProducerIdResponse> initProducerId =
        ProducerServiceGrpc.getInitProducerIdMethod();
    ServiceDescriptor descriptor = ServiceDescriptor.newBuilder(ProducerServiceGrpc.SERVICE_NAME)
        .setSchemaDescriptor(ProducerServiceGrpc.getServiceDescriptor().getSchemaDescriptor())
        .addMethod(produce).addMethod(produceStream).addMethod(initProducerId)
        .build();
    return ServerServiceDefinition.builder(descriptor)
        .addMethod(produce, ServerCalls.asyncUnaryCall(this::produce))
        .addMethod(produceStream, ServerCalls.asyncBidiStreamingCall(this::produceStream))
        .addMethod(initProducerId, ServerCalls.asyncUnaryCall(this::initProducerId))
        .build();
  }

  @Override
  public void initProducerId(InitProducerIdRequest request, StreamObserver<InitProducerIdResponse> response) {
    try {
      authorizer.requireIdempotentWrite(Caller.current());
    } catch (BrokerException e) {
      response.onError(e.error().toStatusException());
      return;
    }
    producerIds.nextId().whenComplete((id, failure) -> {
      if (failure != null) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
            ? failure.getCause() : failure;
        response.onError(errors.toStatus(cause, "allocate a producer id"));
      } else {
        response.onNext(InitProducerIdResponse.newBuilder().setProducerId(id).setProducerEpoch(0).build());
        response.onCompleted();
      }
    });
  }

  @Override
  public void produce(ProduceRequest request, StreamObserver<ProduceResponse> response) {
    if (request.getAcks() == Acks.UNRECOGNIZED || request.getTimeoutMs() < 0) {
      response.onError(BrokerException.of(ErrorReason.INVALID_REQUEST, INVALID_REQUEST_MESSAGE).error()
          .toStatusException());
      return;
    }
    handle(request).thenAccept(answer -> {
      response.onNext(answer);
      response.onCompleted();
    });
  }

  /**
   * The stream's requests are handled one at a time, in the order they arrive (gRPC delivers a
   * call's messages serially), so a producer's pipelined batches of a partition are appended
   * in the order it sent them. Answers go back as each request completes, with its correlation id.
   */
  @Override
  public StreamObserver<ProduceRequest> produceStream(StreamObserver<ProduceResponse> responses) {
    ServerCallStreamObserver<ProduceResponse> call = (ServerCallStreamObserver<ProduceResponse>) responses;
    return new StreamObserver<>() {
      private int pending;
      private boolean halfClosed;

      @Override
      public void onNext(ProduceRequest request) {
        synchronized (this) {
          pending++;
        }
        CompletableFuture<ProduceResponse> answer;
        if (request.getAcks() == Acks.UNRECOGNIZED || request.getTimeoutMs() < 0) {
          answer = CompletableFuture.completedFuture(refuseAll(request, BrokerException.of(
              ErrorReason.INVALID_REQUEST, INVALID_REQUEST_MESSAGE)));
        } else {
          answer = handle(request);
        }
        // Only the id is kept: the request's bytes are free once appended, even while an
        // acks=all answer waits for replication.
        long correlationId = request.getCorrelationId();
        answer.thenAccept(response -> {
          try {
            synchronized (responses) {
              if (!call.isCancelled()) {
                responses.onNext(response.toBuilder().setCorrelationId(correlationId).build());
              }
            }
          } catch (RuntimeException cancelledMeanwhile) {
            // The producer went away between the check and the answer; nobody is listening.
          } finally {
            finishOne();
          }
        });
      }

      private void finishOne() {
        boolean complete;
        synchronized (this) {
          pending--;
          complete = halfClosed && pending == 0;
        }
        if (complete) {
          synchronized (responses) {
            responses.onCompleted();
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        // The producer went away; requests in progress finish on their own and answer nobody.
      }

      @Override
      public void onCompleted() {
        boolean complete;
        synchronized (this) {
          halfClosed = true;
          complete = pending == 0;
        }
        if (complete) {
          synchronized (responses) {
            responses.onCompleted();
          }
        }
      }
    };
  }

  private ProduceResponse refuseAll(ProduceRequest request, BrokerException error) {
    ProduceResponse.Builder out = ProduceResponse.newBuilder();
    for (PartitionBatch batch : request.getBatchesList()) {
      out.addResults(PartitionProduceResult.newBuilder().setTopic(batch.getTopic()).setPartition(batch.getPartition())
          .setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1)
          .setError(error.error().toDetail()).setOutcome(ProduceOutcome.PRODUCE_OUTCOME_NOT_STORED));
    }
    return out.build();
  }

  /** Sets the error and the outcome its reason stands for. */
  private PartitionProduceResult.Builder failed(PartitionProduceResult.Builder result, SkeinError error) {
    metrics.partitionError("produce", error.reason().name());
    return result.setBaseOffset(-1).setError(error.toDetail()).setOutcome(error.reason().outcomeUnknown()
        ? ProduceOutcome.PRODUCE_OUTCOME_UNKNOWN : ProduceOutcome.PRODUCE_OUTCOME_NOT_STORED);
  }

  /** Appends every batch of the request now; completes when each has the acknowledgement its acks asked for. */
  private CompletableFuture<ProduceResponse> handle(ProduceRequest request) {
    long startNanos = System.nanoTime();
    CompletableFuture<ProduceResponse> answer = handleUntimed(request);
    Acks requested = request.getAcks();
    answer.whenComplete((r, failure) -> metrics.produceAnswered(requested, startNanos));
    return answer;
  }

  private CompletableFuture<ProduceResponse> handleUntimed(ProduceRequest request) {
    Acks acks = request.getAcks() == Acks.ACKS_UNSPECIFIED ? Acks.ACKS_ALL : request.getAcks();
    int timeoutMs = request.getTimeoutMs() > 0 ? request.getTimeoutMs() : DEFAULT_TIMEOUT_MS;
    Set<String> seen = new HashSet<>();
    Caller caller = Caller.current();
    List<CompletableFuture<PartitionProduceResult>> results = new ArrayList<>(request.getBatchesCount());
    for (PartitionBatch batch : request.getBatchesList()) {
      PartitionProduceResult.Builder result = PartitionProduceResult.newBuilder()
          .setTopic(batch.getTopic()).setPartition(batch.getPartition())
          .setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
      String context = "produce to " + batch.getTopic() + "-" + batch.getPartition();
      try {
        if (!seen.add(batch.getTopic() + "\u0000" + batch.getPartition())) {
          throw BrokerException.of(ErrorReason.INVALID_REQUEST, "the request has two batches for partition "
              + batch.getTopic() + "-" + batch.getPartition() + "; send at most one per partition");
        }
        // Before leadership: a caller without WRITE learns nothing about where the topic lives.
        authorizer.require(caller, AclOperation.ACL_OPERATION_WRITE, AclResourceType.ACL_RESOURCE_TYPE_TOPIC,
            batch.getTopic());
        Partition partition = replicas.leaderPartition(batch.getTopic(), batch.getPartition());
        if (mirrorTopic.test(partition.id().topicId())) {
          throw BrokerException.of(ErrorReason.MIRROR_TOPIC_READ_ONLY, "topic '" + batch.getTopic() + "' is a mirror "
              + "topic: it is copied from another cluster by a mirror link and takes no producers until it is "
              + "promoted (skein mirror promote); the batch was not appended", Map.of("topic", batch.getTopic()));
        }
        if (faults.shouldFailNextBatch()) {
          throw BrokerException.of(ErrorReason.NOT_ENOUGH_REPLICAS, "injected fault: batch for "
              + partition.id() + " refused before it was appended");
        }
        Partition.Appended appended = append(partition, batch, acks);
        result.setBaseOffset(appended.baseOffset()).setLogAppendTimeMs(appended.logAppendTime())
            .setLogStartOffset(appended.logStartOffset()).setOutcome(ProduceOutcome.PRODUCE_OUTCOME_STORED);
        if (acks == Acks.ACKS_ALL && !partition.isCommitted(appended)) {
          results.add(metrics.delayedProduce(
                  DelayedProduce.await(partition, appended, commitWatchers, executor, timer, timeoutMs))
              .thenApply(error -> {
                error.ifPresent(e -> failed(result, errors.withLeaderAddress(e)));
                return result.build();
              }));
          continue;
        }
      } catch (RuntimeException e) {
        failed(result, errors.toProduceError(e, context));
      }
      results.add(CompletableFuture.completedFuture(result.build()));
    }
    CompletableFuture<ProduceResponse> answer = new CompletableFuture<>();
    CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).whenComplete((ignored, failure) -> {
      ProduceResponse.Builder out = ProduceResponse.newBuilder();
      if (acks != Acks.ACKS_NONE) {
        results.forEach(r -> out.addResults(r.join()));
      }
      long delay = faults.nextResponseDelayMs();
      if (delay > 0) {
        timer.schedule(() -> answer.complete(out.build()), delay, java.util.concurrent.TimeUnit.MILLISECONDS);
      } else {
        answer.complete(out.build());
      }
    });
    return answer;
  }

  private Partition.Appended append(Partition partition, PartitionBatch request, Acks acks) {
    if (!request.hasBatch() || request.getBatch().getRecords().isEmpty()) {
      throw BrokerException.of(ErrorReason.INVALID_RECORD, "the batch for " + partition.id() + " has no records");
    }
    long storedSize = BatchLayout.entrySize(request.getBatch().getRecords().size());
    int limit = partition.settings().log().maxMessageBytes();
    if (storedSize > limit) {
      throw BrokerException.of(ErrorReason.RECORD_TOO_LARGE, "the batch for " + partition.id() + " is " + storedSize
          + " bytes, larger than the topic's max.message.bytes (" + limit + ")");
    }
    if (!RecordCompression.isKnown(request.getBatch().getCompressionValue())) {
      throw BrokerException.of(ErrorReason.INVALID_RECORD, "unknown compression codec "
          + request.getBatch().getCompressionValue());
    }
    RecordSetValidator.Summary summary;
    try {
      summary = RecordSetValidator.validate(request.getBatch().getCompression(), request.getBatch().getRecords());
    } catch (RecordSetValidator.InvalidRecordsException e) {
      throw BrokerException.of(ErrorReason.INVALID_RECORD, "the batch for " + partition.id() + " is invalid: "
          + e.getMessage());
    }
    Partition.Appended appended = partition.appendAsLeader(request.getBatch(), summary, acks);
    metrics.topic(partition.id().topic()).produced(storedSize, summary.recordCount());
    return appended;
  }
}
