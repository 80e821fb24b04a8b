package dev.skein.broker.rpc;

import dev.skein.broker.fetch.DataWatchers;
import dev.skein.broker.fetch.DelayedCondition;
import dev.skein.broker.replica.Partition;
import dev.skein.broker.replica.ReplicaManager;
import dev.skein.proto.v1.DeleteRecordsPartition;
import dev.skein.proto.v1.DeleteRecordsRequest;
import dev.skein.proto.v1.DeleteRecordsResponse;
import dev.skein.proto.v1.DeleteRecordsResult;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * DeleteRecords on the leaders here: each partition's leader moves its log start offset at
 * once (durably), then the answer waits until every in-sync follower has moved its own (they
 * learn the leader's start from their next fetch and report theirs back), as Kafka's delayed
 * delete-records does. It waits on the partition's commit signal, which follower fetches fire
 * when a follower's start moves.
 */
final class RecordDeletion {

  private static final int DEFAULT_TIMEOUT_MS = 30_000;

  private final ReplicaManager replicas;
  private final DataWatchers commitWatchers;
  private final Errors errors;
  private final Executor executor;
  private final ScheduledExecutorService timer;

  RecordDeletion(ReplicaManager replicas, DataWatchers commitWatchers, Errors errors, Executor executor,
      ScheduledExecutorService timer) {
    this.replicas = replicas;
    this.commitWatchers = commitWatchers;
    this.errors = errors;
    this.executor = executor;
    this.timer = timer;
  }

  CompletableFuture<DeleteRecordsResponse> handle(DeleteRecordsRequest request) {
    int timeoutMs = request.getTimeoutMs() > 0 ? request.getTimeoutMs() : DEFAULT_TIMEOUT_MS;
    List<CompletableFuture<DeleteRecordsResult>> results = new ArrayList<>();
    for (DeleteRecordsPartition p : request.getPartitionsList()) {
      DeleteRecordsResult.Builder result = DeleteRecordsResult.newBuilder().setTopic(p.getTopic())
          .setPartition(p.getPartition()).setLogStartOffset(-1);
      try {
        if (p.getBeforeOffset() < -1) {
          throw new dev.skein.broker.BrokerException(SkeinError.of(ErrorReason.OFFSET_OUT_OF_RANGE,
              "before_offset must be -1 (the high watermark) or an offset, not " + p.getBeforeOffset()));
        }
        Partition partition = replicas.leaderPartition(p.getTopic(), p.getPartition());
        long target = partition.deleteRecordsBefore(p.getBeforeOffset());
        results.add(awaitLowWatermark(partition, target, result, timeoutMs));
      } catch (RuntimeException e) {
        results.add(CompletableFuture.completedFuture(result.setError(
            errors.toDetail(e, "delete records of " + p.getTopic() + "-" + p.getPartition())).build()));
      }
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
      DeleteRecordsResponse.Builder out = DeleteRecordsResponse.newBuilder();
      results.forEach(r -> out.addResults(r.join()));
      return out.build();
    });
  }

  /** Answers once the in-sync replicas' log starts (the low watermark) reach {@code target}. */
  private CompletableFuture<DeleteRecordsResult> awaitLowWatermark(Partition partition, long target,
      DeleteRecordsResult.Builder result, int timeoutMs) {
    return DelayedCondition.await(partition.id().key(), commitWatchers, executor, timer, timeoutMs, () -> {
      long low;
      try {
        low = partition.lowWatermark();
      } catch (RuntimeException leadershipMoved) {
        return Optional.of(failed(result, SkeinError.of(ErrorReason.OUTCOME_UNKNOWN, "leadership of "
            + partition.id() + " moved before every in-sync replica confirmed deleting the records before offset "
            + target + "; the new leader may or may not have deleted them, so describe the partition or repeat "
            + "the call")));
      }
      return low >= target ? Optional.of(result.setLogStartOffset(low).build()) : Optional.empty();
    }, () -> failed(result, SkeinError.of(ErrorReason.REQUEST_TIMED_OUT, "the leader of " + partition.id()
        + " deleted the records before offset " + target + ", but not every in-sync replica confirmed within "
        + timeoutMs + " ms; they follow the leader's log start as they fetch",
        Map.of("isr", partition.leadership().isr().toString()))));
  }

  private DeleteRecordsResult failed(DeleteRecordsResult.Builder result, SkeinError error) {
    return result.setError(errors.withLeaderAddress(error).toDetail()).build();
  }
}
