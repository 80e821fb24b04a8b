package dev.skein.broker.produce;

import dev.skein.broker.fetch.DataWatchers;
import dev.skein.broker.fetch.DelayedCondition;
import dev.skein.broker.replica.Partition;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * An acks=all batch waiting to be committed: done when the high watermark passes it on enough
 * replicas; in doubt ({@code OUTCOME_UNKNOWN}) when leadership moves first or it is committed
 * by fewer than min.insync.replicas replicas; in doubt too ({@code REQUEST_TIMED_OUT}) when
 * replication does not confirm it within the request's timeout. It was appended in every
 * case, so no answer from here may say "not stored". It waits on the partition's commit
 * signal, not by polling.
 */
public final class DelayedProduce {

  private DelayedProduce() {}

  /** Completes with empty once committed, or with the error the producer gets. */
  public static CompletableFuture<Optional<SkeinError>> await(Partition partition, Partition.Appended appended,
      DataWatchers commitWatchers, Executor executor, ScheduledExecutorService timer, long timeoutMs) {
    return DelayedCondition.await(partition.id().key(), commitWatchers, executor, timer, timeoutMs,
        () -> outcome(partition.checkCommit(appended)),
        () -> Optional.of(SkeinError.of(ErrorReason.REQUEST_TIMED_OUT, "the batch was appended to " + partition.id()
            + " at offset " + appended.baseOffset() + " but not replicated to every in-sync replica within "
            + timeoutMs + " ms; it may still be committed, or lost in a failover",
            Map.of("isr", partition.leadership().isr().toString(),
                "appended_offset", Long.toString(appended.baseOffset()),
                "appended_leader_epoch", Integer.toString(appended.leaderEpoch())))));
  }

  /** Empty while pending; the answer (empty error for committed) once decided. */
  private static Optional<Optional<SkeinError>> outcome(Partition.CommitCheck state) {
    if (state instanceof Partition.CommitCheck.Committed) {
      return Optional.of(Optional.empty());
    }
    if (state instanceof Partition.CommitCheck.InDoubt inDoubt) {
      return Optional.of(Optional.of(inDoubt.error()));
    }
    return Optional.empty();
  }
}
