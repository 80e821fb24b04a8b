package dev.skein.broker.rpc;

import dev.skein.broker.fetch.DataWatchers;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

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
        results.add(new Waiting(partition, target, result, timeoutMs).start());
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

  /** One partition waiting for its in-sync replicas' log start offsets to reach the target. */
  private final class Waiting implements DataWatchers.Watcher {
    private final Partition partition;
    private final long target;
    private final DeleteRecordsResult.Builder result;
    private final int timeoutMs;
    private final List<DataWatchers.PartitionKey> keys;
    private final CompletableFuture<DeleteRecordsResult> done = new CompletableFuture<>();
    private volatile ScheduledFuture<?> timeout;

    Waiting(Partition partition, long target, DeleteRecordsResult.Builder result, int timeoutMs) {
      this.partition = partition;
      this.target = target;
      this.result = result;
      this.timeoutMs = timeoutMs;
      this.keys = List.of(partition.id().key());
    }

    CompletableFuture<DeleteRecordsResult> start() {
      timeout = timer.schedule(() -> finish(SkeinError.of(ErrorReason.REQUEST_TIMED_OUT, "the leader of "
          + partition.id() + " deleted the records before offset " + target + ", but not every in-sync replica "
          + "confirmed within " + timeoutMs + " ms; they follow the leader's log start as they fetch",
          Map.of("isr", partition.leadership().isr().toString()))), timeoutMs, TimeUnit.MILLISECONDS);
      check();
      return done;
    }

    @Override
    public void onData() {
      executor.execute(this::check);
    }

    private void check() {
      if (done.isDone()) {
        return;
      }
      commitWatchers.watch(keys, this);
      long low;
      try {
        low = partition.lowWatermark();
      } catch (RuntimeException leadershipMoved) {
        finish(SkeinError.of(ErrorReason.OUTCOME_UNKNOWN, "leadership of " + partition.id() + " moved before every "
            + "in-sync replica confirmed deleting the records before offset " + target + "; the new leader may or "
            + "may not have deleted them, so describe the partition or repeat the call", Map.of()));
        return;
      }
      if (low >= target) {
        result.setLogStartOffset(low);
        finish(null);
      }
    }

    private void finish(SkeinError error) {
      if (done.isDone()) {
        return;
      }
      commitWatchers.unwatch(keys, this);
      ScheduledFuture<?> t = timeout;
      if (t != null) {
        t.cancel(false);
      }
      if (error != null) {
        result.setError(errors.withLeaderAddress(error).toDetail());
      }
      done.complete(result.build());
    }
  }
}
