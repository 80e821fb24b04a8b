package dev.skein.storage.log;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for one log directory: fsyncs the logs of durable topics on one thread, so one fsync of a
 * log covers every batch appended to it since the previous one, and a round covers every log that became
 * dirty meanwhile, across partitions. While a round runs, new requests gather for the next one; the more
 * load, the more batches each fsync covers, so throughput does not fall to one batch per disk flush.
 *
 * <p>The logs of a round are fsynced in parallel on a few worker threads: on a journaling file system
 * concurrent fsyncs of different files join one journal commit (one device cache flush) instead of
 * paying one each, one after the other.
 *
 * <p>{@link #flush(PartitionLog)} answers with a future shared by every request for that log in the same
 * round; it completes, on the flusher thread, once the log's data up to its end at the time of the request
 * is on disk. Callers should hand heavy work to their own threads: the next round waits for the callbacks.
 * The thread is never interrupted (that would close a {@code FileChannel} in the middle of a force).
 */
public final class LogFlusher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LogFlusher.class);

  private final Object lock = new Object();
  /** Logs to flush in the next round, each with the future its requesters wait on. Guarded by lock. */
  private Map<PartitionLog, CompletableFuture<Void>> pending = new LinkedHashMap<>();
  /** Guarded by lock. */
  private boolean closed;
  private final Thread thread;
  /** Runs the fsyncs of a round that covers several logs. */
  private final ExecutorService workers;
  private final LongAdder requests = new LongAdder();
  private final LongAdder rounds = new LongAdder();
  private final LongAdder logFlushes = new LongAdder();

  /** Starts the flusher thread; {@code name} identifies the directory in the thread's name. */
  public LogFlusher(String name) {
    this(name, DEFAULT_PARALLELISM);
  }

  /** Fsyncs at most this many logs of a round at once. */
  static final int DEFAULT_PARALLELISM = 4;

  /** As {@link #LogFlusher(String)}, fsyncing up to {@code parallelism} logs of a round at once. */
  public LogFlusher(String name, int parallelism) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1: " + parallelism);
    }
    AtomicInteger workerIds = new AtomicInteger();
    workers = Executors.newFixedThreadPool(parallelism, runnable -> {
      Thread worker = new Thread(runnable, "skein-log-flusher-" + name + "-" + workerIds.incrementAndGet());
      worker.setDaemon(true);
      return worker;
    });
    thread = new Thread(this::run, "skein-log-flusher-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Asks for {@code log} to be fsynced up to its current end. After {@link #close()} the log is flushed
   * in the calling thread.
   */
  public CompletableFuture<Void> flush(PartitionLog log) {
    requests.increment();
    synchronized (lock) {
      if (!closed) {
        CompletableFuture<Void> future = pending.get(log);
        if (future == null) {
          future = new CompletableFuture<>();
          pending.put(log, future);
          lock.notifyAll();
        }
        return future;
      }
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    flushOne(log, done);
    return done;
  }

  /** Flush requests so far (appends and waiters of durable logs). */
  public long requests() {
    return requests.sum();
  }

  /** Rounds run so far: each takes every log requested since the previous one. */
  public long rounds() {
    return rounds.sum();
  }

  /** Logs fsynced so far (one fsync of each segment holding new data, usually one). */
  public long logFlushes() {
    return logFlushes.sum();
  }

  private void run() {
    while (true) {
      Map<PartitionLog, CompletableFuture<Void>> round;
      synchronized (lock) {
        while (pending.isEmpty() && !closed) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            // Nobody should interrupt us; keep going until closed.
          }
        }
        if (pending.isEmpty()) {
          return; // closed and drained
        }
        round = pending;
        pending = new LinkedHashMap<>();
      }
      rounds.increment();
      if (round.size() == 1) {
        round.forEach(this::flushOne);
        continue;
      }
      CountDownLatch done = new CountDownLatch(round.size());
      round.forEach((partitionLog, future) -> workers.execute(() -> {
        try {
          flushOne(partitionLog, future);
        } finally {
          done.countDown();
        }
      }));
      awaitUninterruptibly(done);
    }
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    boolean interrupted = false;
    while (true) {
      try {
        latch.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void flushOne(PartitionLog partitionLog, CompletableFuture<Void> future) {
    try {
      if (partitionLog.flushDurable()) {
        logFlushes.increment();
      }
      future.complete(null);
    } catch (LogClosedException e) {
      future.completeExceptionally(e); // closing flushed it, but the caller's log is gone
    } catch (RuntimeException | Error e) {
      log.error("Flush of {} failed", partitionLog.dir(), e);
      future.completeExceptionally(e);
    }
  }

  /** Finishes the requests made so far, then stops the thread. */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      lock.notifyAll();
    }
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    workers.shutdown(); // idle by now: the thread waited for its last round
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
