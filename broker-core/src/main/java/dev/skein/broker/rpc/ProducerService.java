package dev.skein.broker.rpc;

import dev.skein.broker.BrokerException;
import dev.skein.broker.produce.RecordSetValidator;
import dev.skein.broker.replica.Partition;
import dev.skein.broker.replica.ReplicaManager;
import dev.skein.proto.v1.Acks;
import dev.skein.proto.v1.PartitionBatch;
import dev.skein.proto.v1.PartitionProduceResult;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProduceResponse;
import dev.skein.proto.v1.ProducerServiceGrpc;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.RecordCompression;
import dev.skein.storage.log.BatchLayout;
import io.grpc.stub.StreamObserver;
import java.util.HashSet;
import java.util.Set;

/**
 * Produce: each batch is checked (size, codec, record numbering) and appended by its
 * partition's leader. A batch that fails is not stored at all and gets its own error;
 * the others in the same request are unaffected.
 */
public final class ProducerService extends ProducerServiceGrpc.ProducerServiceImplBase {

  private final ReplicaManager replicas;
  private final Errors errors;

  public ProducerService(ReplicaManager replicas, Errors errors) {
    this.replicas = replicas;
    this.errors = errors;
  }

  @Override
  public void produce(ProduceRequest request, StreamObserver<ProduceResponse> response) {
    if (request.getAcks() == Acks.UNRECOGNIZED || request.getTimeoutMs() < 0) {
      response.onError(BrokerException.of(ErrorReason.INVALID_REQUEST,
          "acks must be ACKS_NONE, ACKS_LEADER or ACKS_ALL and timeout_ms must be >= 0").error().toStatusException());
      return;
    }
    Set<String> seen = new HashSet<>();
    ProduceResponse.Builder out = ProduceResponse.newBuilder();
    for (PartitionBatch batch : request.getBatchesList()) {
      PartitionProduceResult.Builder result = PartitionProduceResult.newBuilder()
          .setTopic(batch.getTopic()).setPartition(batch.getPartition())
          .setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
      try {
        if (!seen.add(batch.getTopic() + "\u0000" + batch.getPartition())) {
          throw BrokerException.of(ErrorReason.INVALID_REQUEST, "the request has two batches for partition "
              + batch.getTopic() + "-" + batch.getPartition() + "; send at most one per partition");
        }
        Partition.Appended appended = append(batch);
        result.setBaseOffset(appended.baseOffset()).setLogAppendTimeMs(appended.logAppendTime())
            .setLogStartOffset(appended.logStartOffset());
      } catch (RuntimeException e) {
        result.setError(errors.toDetail(e, "produce to " + batch.getTopic() + "-" + batch.getPartition()));
      }
      out.addResults(result);
    }
    if (request.getAcks() == Acks.ACKS_NONE) {
      out.clearResults();
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  private Partition.Appended append(PartitionBatch request) {
    Partition partition = replicas.leaderPartition(request.getTopic(), request.getPartition());
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
    return partition.appendAsLeader(request.getBatch(), summary);
  }
}
