package dev.skein.metadata.controller;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs controller events one at a time, each to completion (its write applied) before the next
 * starts, all on one thread.
 *
 * <p>One event at a time is what makes the controller simple and correct: every decision is
 * made against an image that already contains every earlier decision. Metadata changes are
 * rare and a write takes a few milliseconds, so the lost parallelism does not matter.
 */
final class ControllerEventQueue implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ControllerEventQueue.class);

  private final ScheduledExecutorService executor;
  private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
  private boolean closed;

  ControllerEventQueue(String threadName) {
    this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, threadName);
      thread.setDaemon(true);
      return thread;
    });
  }

  /** Queues an event; its result completes when the event's own future does. */
  synchronized <T> CompletableFuture<T> submit(String name, Supplier<CompletableFuture<T>> event) {
    if (closed) {
      return CompletableFuture.failedFuture(new RejectedExecutionException("controller is closed"));
    }
    CompletableFuture<T> result = tail.thenComposeAsync(ignored -> run(name, event), executor);
    tail = result.handle((value, error) -> null);
    return result;
  }

  /** Calls {@code task} every {@code period} on the event thread (it should only queue events). */
  void schedulePeriodically(Duration period, Runnable task) {
    long nanos = period.toNanos();
    executor.scheduleWithFixedDelay(() -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.error("Periodic controller task failed", e);
      }
    }, nanos, nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Queues {@code event} every {@code period}, unless the one queued last has not started yet:
   * a slow event must not pile its successors up behind it.
   */
  <T> void schedulePeriodicEvent(Duration period, String name, Supplier<CompletableFuture<T>> event) {
    AtomicBoolean queued = new AtomicBoolean();
    schedulePeriodically(period, () -> {
      if (queued.compareAndSet(false, true)) {
        submit(name, () -> {
          queued.set(false);
          return event.get();
        });
      }
    });
  }

  /** The event thread, for continuations that must run there. */
  Executor executor() {
    return executor;
  }

  private static <T> CompletableFuture<T> run(String name, Supplier<CompletableFuture<T>> event) {
    try {
      CompletableFuture<T> future = event.get();
      return future != null ? future : CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      LOG.error("Controller event {} failed", name, e);
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    executor.shutdownNow();
  }
}
