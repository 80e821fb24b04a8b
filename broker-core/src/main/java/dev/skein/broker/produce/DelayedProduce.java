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
 * An acks=all batch waiting to be committed: done when the high watermark passes it, failed
 * when leadership moves or the ISR has shrunk below min.insync.replicas, timed out (retriable)
 * when replication does not catch up within the request's timeout. It waits on the
 * partition's commit signal, not by polling.
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
        "the batch at offset " + appended.baseOffset() + " of " + partition.id() + " was not replicated to every "
            + "in-sync replica within " + timeoutMs + " ms; it may still be committed",
        Map.of("isr", partition.leadership().isr().toString())))), timeoutMs, TimeUnit.MILLISECONDS);
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
    Optional<SkeinError> moved = partition.commitError(appended);
    if (moved.isPresent()) {
      finish(moved);
      return;
    }
    if (partition.isCommitted(appended)) {
      var leadership = partition.leadership();
      int minIsr = partition.settings().minInsyncReplicas();
      if (leadership.isr().size() < minIsr) {
        finish(Optional.of(SkeinError.of(ErrorReason.NOT_ENOUGH_REPLICAS, "the batch at offset "
            + appended.baseOffset() + " of " + partition.id() + " was written, but the ISR " + leadership.isr()
            + " shrank below min.insync.replicas (" + minIsr + ") before it was replicated")));
      } else {
        finish(Optional.empty());
      }
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
