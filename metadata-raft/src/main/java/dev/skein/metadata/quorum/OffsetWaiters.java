package dev.skein.metadata.quorum;

import dev.skein.metadata.image.ClusterImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Futures waiting for the image to reach a log index. They complete on a thread of their own,
 * never on Ratis' apply thread, so that whatever a caller chains onto them cannot slow the log.
 */
public final class OffsetWaiters implements AutoCloseable {

  private final NavigableMap<Long, List<CompletableFuture<ClusterImage>>> waiting = new TreeMap<>();
  private final ExecutorService executor;
  private volatile long lowestWaitedFor = Long.MAX_VALUE;
  private boolean closed;

  public OffsetWaiters(String threadName) {
    this.executor = Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, threadName);
      thread.setDaemon(true);
      return thread;
    });
  }

  /** Completes with {@code current} if it has reached {@code index}, else with the first image that does. */
  public synchronized CompletableFuture<ClusterImage> await(long index, ClusterImage current) {
    if (current.offset() >= index) {
      return CompletableFuture.completedFuture(current);
    }
    if (closed) {
      return CompletableFuture.failedFuture(new CancellationException("metadata quorum is closed"));
    }
    CompletableFuture<ClusterImage> future = new CompletableFuture<>();
    waiting.computeIfAbsent(index, key -> new ArrayList<>()).add(future);
    lowestWaitedFor = waiting.firstKey();
    return future;
  }

  /** Called with every new image; cheap when nobody waits. */
  public void advance(ClusterImage image) {
    if (image.offset() < lowestWaitedFor) {
      return;
    }
    List<CompletableFuture<ClusterImage>> ready = new ArrayList<>();
    synchronized (this) {
      Map<Long, List<CompletableFuture<ClusterImage>>> reached = waiting.headMap(image.offset(), true);
      reached.values().forEach(ready::addAll);
      reached.clear();
      lowestWaitedFor = waiting.isEmpty() ? Long.MAX_VALUE : waiting.firstKey();
    }
    try {
      executor.execute(() -> ready.forEach(future -> future.complete(image)));
    } catch (RejectedExecutionException e) {
      ready.forEach(future -> future.cancel(false));
    }
  }

  @Override
  public void close() {
    List<CompletableFuture<ClusterImage>> abandoned = new ArrayList<>();
    synchronized (this) {
      closed = true;
      waiting.values().forEach(abandoned::addAll);
      waiting.clear();
      lowestWaitedFor = Long.MAX_VALUE;
    }
    abandoned.forEach(future -> future.completeExceptionally(new CancellationException("metadata quorum is closed")));
    executor.shutdown();
  }
}
