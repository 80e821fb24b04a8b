package dev.skein.broker.replica;

import dev.skein.broker.fetch.DataWatchers;
import dev.skein.broker.fetch.DataWatchers.PartitionKey;
import dev.skein.broker.rpc.Errors;
import dev.skein.broker.rpc.FetchFrame;
import dev.skein.proto.internal.v1.EpochEndOffset;
import dev.skein.proto.internal.v1.ReplicaFetchPartition;
import dev.skein.proto.internal.v1.ReplicaFetchRequest;
import dev.skein.proto.internal.v1.ReplicaFetchedPartition;
import dev.skein.storage.log.LogReadResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One follower fetch on the leader, over every partition of the stream's {@link FetchSession}.
 * It first checks each partition (leader epoch, divergence) and records the follower's
 * position, which may advance the high watermark; then it answers as soon as there is data,
 * an error, or a moved high watermark to pass on, or when max_wait_ms has passed. In an
 * incremental session the answer leaves out the partitions with nothing new.
 */
final class FollowerFetch implements DataWatchers.Watcher {

  /** A partition that passed its checks, and its high watermark when the fetch arrived. */
  private record Readable(Partition partition, FetchSession.Fetched fetched, long highWatermarkAtStart) {}

  /** A partition answered with an error or a divergence: its header is final. */
  private record Settled(FetchSession.Entry entry, FetchFrame.Partition part) {}

  /** A partition in the response with its batches, and the figures it told the follower. */
  private record Described(FetchSession.Entry entry, FetchFrame.Partition part, long highWatermark, long logStart,
      boolean gotData) {}

  private final ReplicaFetchRequest request;
  private final FetchSession session;
  private final List<FetchSession.Fetched> fetches;
  private final boolean incremental;
  private final ReplicaManager replicas;
  private final DataWatchers commitWatchers;
  private final DataWatchers logEndWatchers;
  private final Errors errors;
  private final Executor executor;
  private final Consumer<FetchFrame> respond;
  private final List<Settled> settled = new ArrayList<>();
  private final List<Readable> readable = new ArrayList<>();
  private final AtomicBoolean completed = new AtomicBoolean();
  /** Partitions whose watchers fired since the last look: only they need watching again. */
  private final Queue<PartitionKey> fired = new ConcurrentLinkedQueue<>();
  private List<PartitionKey> keys = List.of();
  private volatile ScheduledFuture<?> timeout;

  FollowerFetch(ReplicaFetchRequest request, FetchSession session, ReplicaManager replicas,
      DataWatchers commitWatchers, DataWatchers logEndWatchers, Errors errors, Executor executor,
      Consumer<FetchFrame> respond) {
    this.request = request;
    this.session = session;
    this.fetches = session.apply(request);
    this.incremental = session.incremental();
    this.replicas = replicas;
    this.commitWatchers = commitWatchers;
    this.logEndWatchers = logEndWatchers;
    this.errors = errors;
    this.executor = executor;
    this.respond = respond;
  }

  void start(ScheduledExecutorService timer) {
    for (FetchSession.Fetched f : fetches) {
      ReplicaFetchPartition p = f.request();
      ReplicaFetchedPartition.Builder header = ReplicaFetchedPartition.newBuilder()
          .setTopic(p.getTopic()).setPartition(p.getPartition());
      try {
        Partition partition = replicas.leaderPartition(p.getTopic(), p.getPartition());
        Partition.FollowerFetchCheck check = partition.onFollowerFetch(request.getReplicaId(),
            p.getCurrentLeaderEpoch(), p.getFetchOffset(), p.getLastFetchedEpoch(), p.getLogStartOffset(),
            p.getFlushedOffset());
        if (check instanceof Partition.FollowerFetchCheck.Ok) {
          readable.add(new Readable(partition, f, partition.highWatermark()));
          continue;
        }
        header.setHighWatermark(partition.highWatermark()).setLogStartOffset(partition.logStartOffset())
            .setLogEndOffset(partition.logEndOffset());
        if (check instanceof Partition.FollowerFetchCheck.Diverging d) {
          header.setDivergingEpoch(EpochEndOffset.newBuilder().setEpoch(d.epoch()).setEndOffset(d.endOffset()));
        } else if (check instanceof Partition.FollowerFetchCheck.Failed failed) {
          header.setError(failed.error().toDetail());
        }
      } catch (RuntimeException e) {
        header.setError(errors.toDetail(e, "replica fetch of " + p.getTopic() + "-" + p.getPartition()));
      }
      settled.add(new Settled(f.entry(), FetchFrame.Partition.of(header.build())));
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
  public void onData(PartitionKey key) {
    fired.add(key);
    executor.execute(() -> tryComplete(false));
  }

  private void tryComplete(boolean force) {
    if (completed.get()) {
      return;
    }
    List<PartitionKey> again = new ArrayList<>();
    for (PartitionKey key; (key = fired.poll()) != null; ) {
      again.add(key);
    }
    if (!again.isEmpty()) {
      // Watch again before looking, so data arriving while we look wakes us once more.
      commitWatchers.watch(again, this);
      logEndWatchers.watch(again, this);
      if (completed.get()) {
        // Completed meanwhile: its unwatch may have run before our watch.
        commitWatchers.unwatch(again, this);
        logEndWatchers.unwatch(again, this);
        return;
      }
    }
    List<Described> parts = new ArrayList<>();
    int remaining = request.getMaxBytes() > 0 ? request.getMaxBytes() : Integer.MAX_VALUE;
    int bytes = 0;
    boolean highWatermarkMoved = false;
    for (Readable r : readable) {
      ReplicaFetchPartition asked = r.fetched().request();
      Partition partition = r.partition();
      try {
        // Fails fast (NOT_LEADER) when leadership moved while the fetch waited: the watchers fire then.
        partition.requireLeader();
        long highWatermark = partition.highWatermark();
        long logStart = partition.logStartOffset();
        long logEnd = partition.logEndOffset();
        highWatermarkMoved |= highWatermark != r.highWatermarkAtStart();
        LogReadResult read = null;
        if (logEnd > asked.getFetchOffset() && remaining > 0) {
          int budget = Math.min(remaining, asked.getMaxBytes() > 0 ? asked.getMaxBytes() : remaining);
          read = partition.readForFollower(asked.getFetchOffset(), budget);
        }
        boolean gotData = read != null && read.sizeInBytes() > 0;
        if (!gotData && !FetchSession.mustDescribe(incremental, r.fetched(), highWatermark, logStart)) {
          continue;
        }
        ReplicaFetchedPartition header = ReplicaFetchedPartition.newBuilder()
            .setTopic(asked.getTopic()).setPartition(asked.getPartition())
            .setHighWatermark(highWatermark).setLogStartOffset(logStart).setLogEndOffset(logEnd).build();
        parts.add(new Described(r.fetched().entry(),
            gotData ? new FetchFrame.Partition(header, read.entries()) : FetchFrame.Partition.of(header),
            highWatermark, logStart, gotData));
        if (gotData) {
          bytes += read.sizeInBytes();
          remaining = Math.max(0, remaining - read.sizeInBytes());
        }
      } catch (RuntimeException e) {
        ReplicaFetchedPartition header = ReplicaFetchedPartition.newBuilder()
            .setTopic(asked.getTopic()).setPartition(asked.getPartition())
            .setError(errors.toDetail(e, "replica fetch of " + partition.id())).build();
        parts.add(new Described(r.fetched().entry(), FetchFrame.Partition.of(header), -1, -1, false));
        force = true;
      }
    }
    if (!force && bytes < Math.max(1, request.getMinBytes()) && !highWatermarkMoved) {
      return;
    }
    if (!completed.compareAndSet(false, true)) {
      return;
    }
    stopWaiting();
    List<FetchFrame.Partition> response = new ArrayList<>(settled.size() + parts.size());
    for (Settled s : settled) {
      session.sentError(s.entry());
      response.add(s.part());
    }
    for (Described d : parts) {
      if (d.part().header() instanceof ReplicaFetchedPartition h && h.hasError()) {
        session.sentError(d.entry());
      } else {
        session.sent(d.entry(), d.highWatermark(), d.logStart(), d.gotData());
      }
      response.add(d.part());
    }
    replicas.stats().onFollowerFetch(request.getPartitionsCount(), response.size());
    respond.accept(FetchFrame.replica(request.getCorrelationId(), response));
  }

  void cancel() {
    if (completed.compareAndSet(false, true)) {
      stopWaiting();
    }
  }

  private void stopWaiting() {
    commitWatchers.unwatch(keys, this);
    logEndWatchers.unwatch(keys, this);
    ScheduledFuture<?> t = timeout;
    if (t != null) {
      t.cancel(false);
    }
  }
}
