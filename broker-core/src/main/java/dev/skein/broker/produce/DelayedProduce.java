package dev.skein.broker.produce;

import dev.skein.broker.fetch.DataWatchers;
import dev.skein.broker.replica.Partition;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An acks=all batch waiting to be committed: done when the high watermark passes it on enough
 * replicas; in doubt ({@code OUTCOME_UNKNOWN}) when leadership moves first or it is committed
 * by fewer than min.insync.replicas replicas; in doubt too ({@code REQUEST_TIMED_OUT}) when
 * replication does not confirm it within the request's timeout. It was appended in every
 * case, so no answer from here may say "not stored". It waits on the partition's commit
 * signal, not by polling.
 */
public final class DelayedProduce implements DataWatchers.Watcher {

  private final Partition partition;
  private final Partition.Appended appended;
  private final DataWatchers commitWatchers;
  private final Executor executor;
  private final CompletableFuture<Optional<SkeinError>> result = new CompletableFuture<>();
  private final List<DataWatchers.PartitionKey> keys;
  private volatile ScheduledFuture<?> timeout;

  private DelayedProduce(Partition partition, Partition.Appended appended, DataWatchers commitWatchers,
      Executor executor) {
    this.partition = partition;
    this.appended = appended;
    this.commitWatchers = commitWatchers;
    this.executor = executor;
    this.keys = List.of(partition.id().key());
  }

  /** Completes with empty once committed, or with the error the producer gets. */
  public static CompletableFuture<Optional<SkeinError>> await(Partition partition, Partition.Appended appended,
      DataWatchers commitWatchers, Executor executor, ScheduledExecutorService timer, long timeoutMs) {
    DelayedProduce waiting = new DelayedProduce(partition, appended, commitWatchers, executor);
    waiting.timeout = timer.schedule(() -> waiting.finish(Optional.of(SkeinError.of(ErrorReason.REQUEST_TIMED_OUT,
        "the batch was appended to " + partition.id() + " at offset " + appended.baseOffset() + " but not "
            + "replicated to every in-sync replica within " + timeoutMs + " ms; it may still be committed, or lost "
            + "in a failover",
        Map.of("isr", partition.leadership().isr().toString(),
            "appended_offset", Long.toString(appended.baseOffset()),
            "appended_leader_epoch", Integer.toString(appended.leaderEpoch()))))), timeoutMs, TimeUnit.MILLISECONDS);
    commitWatchers.watch(waiting.keys, waiting);
    waiting.check();
    return waiting.result;
  }

  @Override
  public void onData() {
    executor.execute(this::check);
  }

  private void check() {
    if (result.isDone()) {
      return;
    }
    commitWatchers.watch(keys, this);
    Partition.CommitCheck state = partition.checkCommit(appended);
    if (state instanceof Partition.CommitCheck.Committed) {
      finish(Optional.empty());
    } else if (state instanceof Partition.CommitCheck.InDoubt inDoubt) {
      finish(Optional.of(inDoubt.error()));
    }
  }

  private void finish(Optional<SkeinError> outcome) {
    if (result.complete(outcome)) {
      commitWatchers.unwatch(keys, this);
      ScheduledFuture<?> t = timeout;
      if (t != null) {
        t.cancel(false);
      }
    }
  }
}
