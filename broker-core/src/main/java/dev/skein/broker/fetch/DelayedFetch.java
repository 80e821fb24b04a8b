package dev.skein.broker.fetch;

import dev.skein.broker.metrics.BrokerMetrics;
import dev.skein.broker.rpc.FetchFrame;
import dev.skein.proto.v1.FetchRequest;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A long-poll fetch: it answers as soon as min_bytes of committed data are available across
 * its partitions (or a partition fails), or when max_wait_ms has passed with what there is.
 * It waits on partition data signals, not by polling the logs.
 */
final class DelayedFetch implements DataWatchers.Watcher {

  private final FetchRequest request;
  private final int minBytes;
  private final int maxBytes;
  private final PartitionReads reads;
  private final DataWatchers watchers;
  private final Executor executor;
  private final ServerCallStreamObserver<FetchFrame> response;
  private final List<DataWatchers.PartitionKey> keys;
  private final AtomicBoolean completed = new AtomicBoolean();
  private volatile ScheduledFuture<?> timeout;
  private final BrokerMetrics metrics;

  DelayedFetch(FetchRequest request, int minBytes, int maxBytes, PartitionReads reads, DataWatchers watchers,
      Executor executor, ServerCallStreamObserver<FetchFrame> response, BrokerMetrics metrics) {
    this.metrics = metrics;
    this.request = request;
    this.minBytes = minBytes;
    this.maxBytes = maxBytes;
    this.reads = reads;
    this.watchers = watchers;
    this.executor = executor;
    this.response = response;
    this.keys = request.getPartitionsList().stream()
        .map(p -> new DataWatchers.PartitionKey(p.getTopic(), p.getPartition())).distinct().toList();
  }

  /** Starts waiting; the caller has already found too little data. */
  void start(ScheduledExecutorService timer, long maxWaitMs) {
    metrics.delayedFetchStarted();
    response.setOnCancelHandler(this::cancel);
    watchers.watch(keys, this);
    timeout = timer.schedule(() -> executor.execute(this::expire), maxWaitMs, TimeUnit.MILLISECONDS);
    // Data may have arrived between the first read and watch(): look once more.
    executor.execute(this::tryComplete);
  }

  @Override
  public void onData(DataWatchers.PartitionKey key) {
    executor.execute(this::tryComplete);
  }

  private void tryComplete() {
    if (completed.get()) {
      return;
    }
    watchers.watch(keys, this);
    PartitionReads.Result result = reads.read(request.getPartitionsList(), maxBytes);
    if (result.bytes() >= minBytes || result.anyError()) {
      finish(result);
    }
  }

  private void expire() {
    if (!completed.get()) {
      finish(reads.read(request.getPartitionsList(), maxBytes));
    }
  }

  private void finish(PartitionReads.Result result) {
    if (!completed.compareAndSet(false, true)) {
      return;
    }
    watchers.unwatch(keys, this);
    metrics.delayedFetchFinished();
    ScheduledFuture<?> t = timeout;
    if (t != null) {
      t.cancel(false);
    }
    if (!response.isCancelled()) {
      metrics.fetchSent(result);
      response.onNext(result.frame());
      response.onCompleted();
    }
  }

  private void cancel() {
    if (completed.compareAndSet(false, true)) {
      watchers.unwatch(keys, this);
      metrics.delayedFetchFinished();
      ScheduledFuture<?> t = timeout;
      if (t != null) {
        t.cancel(false);
      }
    }
  }
}
