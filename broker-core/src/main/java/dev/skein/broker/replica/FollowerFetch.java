package dev.skein.broker.replica;

import dev.skein.broker.fetch.DataWatchers;
import dev.skein.broker.rpc.Errors;
import dev.skein.broker.rpc.FetchFrame;
import dev.skein.proto.internal.v1.EpochEndOffset;
import dev.skein.proto.internal.v1.ReplicaFetchPartition;
import dev.skein.proto.internal.v1.ReplicaFetchRequest;
import dev.skein.proto.internal.v1.ReplicaFetchedPartition;
import dev.skein.storage.log.LogReadResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One follower fetch on the leader. It first checks every partition (leader epoch, divergence)
 * and records the follower's position, which may advance the high watermark; then it answers
 * as soon as there is data, an error, or a moved high watermark to pass on, or when
 * max_wait_ms has passed.
 */
final class FollowerFetch implements DataWatchers.Watcher {

  /** A partition that passed its checks, its position, and its high watermark when the fetch arrived. */
  private record Readable(Partition partition, ReplicaFetchPartition request, long highWatermarkAtStart) {}

  private final ReplicaFetchRequest request;
  private final ReplicaManager replicas;
  private final DataWatchers commitWatchers;
  private final DataWatchers logEndWatchers;
  private final Errors errors;
  private final Executor executor;
  private final Consumer<FetchFrame> respond;
  private final List<FetchFrame.Partition> settled = new ArrayList<>();
  private final List<Readable> readable = new ArrayList<>();
  private final AtomicBoolean completed = new AtomicBoolean();
  private List<DataWatchers.PartitionKey> keys = List.of();
  private volatile ScheduledFuture<?> timeout;

  FollowerFetch(ReplicaFetchRequest request, ReplicaManager replicas, DataWatchers commitWatchers,
      DataWatchers logEndWatchers, Errors errors, Executor executor, Consumer<FetchFrame> respond) {
    this.request = request;
    this.replicas = replicas;
    this.commitWatchers = commitWatchers;
    this.logEndWatchers = logEndWatchers;
    this.errors = errors;
    this.executor = executor;
    this.respond = respond;
  }

  void start(ScheduledExecutorService timer) {
    for (ReplicaFetchPartition p : request.getPartitionsList()) {
      ReplicaFetchedPartition.Builder header = ReplicaFetchedPartition.newBuilder()
          .setTopic(p.getTopic()).setPartition(p.getPartition());
      try {
        Partition partition = replicas.leaderPartition(p.getTopic(), p.getPartition());
        Partition.FollowerFetchCheck check = partition.onFollowerFetch(request.getReplicaId(),
            p.getCurrentLeaderEpoch(), p.getFetchOffset(), p.getLastFetchedEpoch(), p.getLogStartOffset(),
            p.getFlushedOffset());
        if (check instanceof Partition.FollowerFetchCheck.Ok) {
          readable.add(new Readable(partition, p, partition.highWatermark()));
          continue;
        }
        describe(header, partition);
        if (check instanceof Partition.FollowerFetchCheck.Diverging d) {
          header.setDivergingEpoch(EpochEndOffset.newBuilder().setEpoch(d.epoch()).setEndOffset(d.endOffset()));
        } else if (check instanceof Partition.FollowerFetchCheck.Failed f) {
          header.setError(f.error().toDetail());
        }
      } catch (RuntimeException e) {
        header.setError(errors.toDetail(e, "replica fetch of " + p.getTopic() + "-" + p.getPartition()));
      }
      settled.add(FetchFrame.Partition.of(header.build()));
    }
    if (settled.isEmpty() && request.getMaxWaitMs() > 0) {
      keys = readable.stream().map(r -> r.partition().id().key()).toList();
      commitWatchers.watch(keys, this);
      logEndWatchers.watch(keys, this);
      timeout = timer.schedule(() -> executor.execute(() -> tryComplete(true)), request.getMaxWaitMs(),
          TimeUnit.MILLISECONDS);
    }
    tryComplete(!settled.isEmpty() || request.getMaxWaitMs() <= 0);
  }

  @Override
  public void onData() {
    executor.execute(() -> tryComplete(false));
  }

  private void tryComplete(boolean force) {
    if (completed.get()) {
      return;
    }
    if (!keys.isEmpty()) {
      commitWatchers.watch(keys, this);
      logEndWatchers.watch(keys, this);
    }
    List<FetchFrame.Partition> parts = new ArrayList<>(settled);
    int remaining = request.getMaxBytes() > 0 ? request.getMaxBytes() : Integer.MAX_VALUE;
    int bytes = 0;
    boolean highWatermarkMoved = false;
    for (Readable r : readable) {
      ReplicaFetchedPartition.Builder header = ReplicaFetchedPartition.newBuilder()
          .setTopic(r.request().getTopic()).setPartition(r.request().getPartition());
      try {
        int budget = Math.min(remaining, r.request().getMaxBytes() > 0 ? r.request().getMaxBytes() : remaining);
        LogReadResult read = r.partition().readForFollower(r.request().getFetchOffset(), budget);
        describe(header, r.partition());
        parts.add(new FetchFrame.Partition(header.build(), read.entries()));
        bytes += read.sizeInBytes();
        remaining = Math.max(0, remaining - read.sizeInBytes());
        highWatermarkMoved |= r.partition().highWatermark() != r.highWatermarkAtStart();
      } catch (RuntimeException e) {
        header.setError(errors.toDetail(e, "replica fetch of " + r.partition().id()));
        parts.add(FetchFrame.Partition.of(header.build()));
        force = true;
      }
    }
    if (!force && bytes < Math.max(1, request.getMinBytes()) && !highWatermarkMoved) {
      return;
    }
    if (!completed.compareAndSet(false, true)) {
      return;
    }
    commitWatchers.unwatch(keys, this);
    logEndWatchers.unwatch(keys, this);
    ScheduledFuture<?> t = timeout;
    if (t != null) {
      t.cancel(false);
    }
    respond.accept(FetchFrame.replica(request.getCorrelationId(), parts));
  }

  void cancel() {
    if (completed.compareAndSet(false, true)) {
      commitWatchers.unwatch(keys, this);
      logEndWatchers.unwatch(keys, this);
      ScheduledFuture<?> t = timeout;
      if (t != null) {
        t.cancel(false);
      }
    }
  }

  private static void describe(ReplicaFetchedPartition.Builder header, Partition partition) {
    header.setHighWatermark(partition.highWatermark()).setLogStartOffset(partition.logStartOffset())
        .setLogEndOffset(partition.logEndOffset());
  }
}
