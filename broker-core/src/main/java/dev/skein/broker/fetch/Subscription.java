package dev.skein.broker.fetch;

import dev.skein.broker.rpc.FetchFrame;
import dev.skein.proto.v1.PartitionPosition;
import dev.skein.proto.v1.SubscribeRequest;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A Subscribe stream: follows its partitions as they grow and sends committed batches as
 * the client can take them. It reads the log only while gRPC says the stream is ready
 * ({@code isReady}), so a client that stops reading stops the broker from reading and
 * buffering on its behalf; {@code onReady} resumes it. Partitions that fail (no longer
 * led here, deleted) are reported once and dropped; the stream ends when none are left.
 */
final class Subscription implements DataWatchers.Watcher {

  private final PartitionReads reads;
  private final DataWatchers watchers;
  private final Executor executor;
  private final ScheduledExecutorService timer;
  private final ServerCallStreamObserver<FetchFrame> stream;
  private final int maxBytes;
  private final int minBytes;
  private final long maxWaitNanos;
  private final List<PartitionPosition> positions;
  private final java.util.concurrent.atomic.LongAdder bytesSent;
  private final dev.skein.broker.metrics.BrokerMetrics metrics;
  private boolean done;
  private boolean pumpQueued;
  private long partialSinceNanos = -1;

  Subscription(SubscribeRequest request, PartitionReads reads, DataWatchers watchers, Executor executor,
      ScheduledExecutorService timer, ServerCallStreamObserver<FetchFrame> stream,
      java.util.concurrent.atomic.LongAdder bytesSent, dev.skein.broker.metrics.BrokerMetrics metrics) {
    this.metrics = metrics;
    this.reads = reads;
    this.watchers = watchers;
    this.executor = executor;
    this.timer = timer;
    this.stream = stream;
    this.maxBytes = request.getMaxBytes() > 0 ? request.getMaxBytes() : PartitionReads.DEFAULT_PARTITION_MAX_BYTES;
    this.minBytes = Math.max(1, request.getMinBytes());
    this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, request.getMaxWaitMs()));
    this.positions = new ArrayList<>(request.getPartitionsList());
    this.bytesSent = bytesSent;
  }

  void start() {
    stream.setOnReadyHandler(this::schedulePump);
    stream.setOnCancelHandler(this::cancel);
    schedulePump();
  }

  @Override
  public void onData(DataWatchers.PartitionKey key) {
    schedulePump();
  }

  private synchronized void schedulePump() {
    if (!done && !pumpQueued) {
      pumpQueued = true;
      executor.execute(this::pump);
    }
  }

  private synchronized void pump() {
    pumpQueued = false;
    ReadArena arena = ReadArena.lease();
    try {
      pumpWith(arena);
    } finally {
      arena.release();
    }
  }

  private void pumpWith(ReadArena arena) {
    while (!done && stream.isReady()) {
      List<DataWatchers.PartitionKey> keys = keys();
      // Watch before reading, so data appended during the read still wakes us.
      watchers.watch(keys, this);
      // The previous response is in gRPC's buffers by now (onNext copies it): its reads are free.
      PartitionReads.Result result = reads.read(positions, maxBytes, arena.reset());
      if (result.bytes() == 0 && !result.anyError()) {
        return;
      }
      if (result.bytes() < minBytes && !result.anyError() && !waitedLongEnough()) {
        return;
      }
      partialSinceNanos = -1;
      watchers.unwatch(keys, this);
      advance(result);
      stream.onNext(result.frame()); // serializes the frame into gRPC's own buffers before it returns
      bytesSent.add(result.bytes());
      metrics.fetchSent(result);
      if (positions.isEmpty()) {
        done = true;
        stream.onCompleted();
      }
    }
  }

  /** Below min_bytes: wait for more until max_wait_ms has passed since the data was first seen. */
  private boolean waitedLongEnough() {
    long now = System.nanoTime();
    if (partialSinceNanos < 0) {
      partialSinceNanos = now;
      if (maxWaitNanos > 0) {
        timer.schedule(this::schedulePump, maxWaitNanos, TimeUnit.NANOSECONDS);
      }
    }
    return now - partialSinceNanos >= maxWaitNanos;
  }

  private void advance(PartitionReads.Result result) {
    List<PartitionPosition> next = new ArrayList<>(positions.size());
    for (int i = 0; i < positions.size(); i++) {
      PartitionReads.Read read = result.reads().get(i);
      if (!read.failed()) {
        next.add(positions.get(i).toBuilder().setOffset(read.nextOffset()).build());
      }
    }
    positions.clear();
    positions.addAll(next);
  }

  private List<DataWatchers.PartitionKey> keys() {
    return positions.stream().map(p -> new DataWatchers.PartitionKey(p.getTopic(), p.getPartition())).toList();
  }

  private synchronized void cancel() {
    done = true;
    watchers.unwatch(keys(), this);
  }
}
