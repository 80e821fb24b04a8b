package dev.skein.client.internal;

import dev.skein.client.BrokerAddress;
import dev.skein.client.Header;
import dev.skein.client.RecordMetadata;
import dev.skein.client.SkeinException;
import dev.skein.client.TopicPartition;
import io.grpc.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Gathers records into per-partition batches until they are ready to send, and bounds the
 * memory they hold (buffer.memory): a send() that would exceed it blocks up to max.block.ms.
 *
 * <p>A partition has at most one batch in flight, so batches of a partition reach the
 * broker, and are retried, strictly in order.
 */
final class RecordAccumulator {

  /** The most bytes a record's offset delta field can take (tag plus a 5-byte varint). */
  private static final int MAX_DELTA_BYTES = 6;

  private final int batchSize;
  private final long lingerNanos;
  private final long bufferMemory;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition senderWakeup = lock.newCondition();
  private final Condition memoryFreed = lock.newCondition();
  private final Map<TopicPartition, ArrayDeque<ProducerBatch>> queues = new HashMap<>();
  private final Set<TopicPartition> inFlight = new HashSet<>();
  private final Set<ProducerBatch> incomplete = new HashSet<>();
  private long usedMemory;
  private int flushesInProgress;
  private boolean closed;
  private boolean wakeupPending;

  RecordAccumulator(int batchSize, long lingerNanos, long bufferMemory) {
    this.batchSize = batchSize;
    this.lingerNanos = lingerNanos;
    this.bufferMemory = bufferMemory;
  }

  CompletableFuture<RecordMetadata> append(TopicPartition tp, long timestamp, byte[] key, byte[] value,
      List<Header> headers, long maxBlockNanos) throws InterruptedException {
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("producer is closed");
      }
      // Reserve first (this may wait and release the lock), then pick the batch: an offset
      // delta adds at most MAX_DELTA_BYTES over the size of the record as a batch's first.
      int size = RecordSetWriter.encodedSize(0, timestamp, key, value, headers) + MAX_DELTA_BYTES;
      reserve(size, maxBlockNanos);
      if (closed) {
        usedMemory -= size;
        throw new IllegalStateException("producer is closed");
      }
      ArrayDeque<ProducerBatch> queue = queues.computeIfAbsent(tp, k -> new ArrayDeque<>());
      ProducerBatch open = queue.peekLast();
      if (open == null || open.closedForAppends || open.records.sizeInBytes() + size > batchSize) {
        if (open != null && !open.closedForAppends) {
          open.closedForAppends = true;
          wakeSender();
        }
        open = new ProducerBatch(tp, Math.min(batchSize, Math.max(size, 1024)), System.nanoTime());
        queue.addLast(open);
        incomplete.add(open);
      }
      CompletableFuture<RecordMetadata> future = open.add(timestamp, key, value, headers, size);
      if (open.records.sizeInBytes() >= batchSize) {
        open.closedForAppends = true;
        wakeSender();
      } else if (lingerNanos == 0 || queue.size() == 1) {
        wakeSender();
      }
      return future;
    } finally {
      lock.unlock();
    }
  }

  private void reserve(int size, long maxBlockNanos) throws InterruptedException {
    long remaining = maxBlockNanos;
    while (usedMemory + size > bufferMemory && usedMemory > 0) {
      if (remaining <= 0) {
        throw new SkeinException("could not allocate " + size + " bytes within max.block.ms: buffer.memory ("
            + bufferMemory + " bytes) is full because the brokers are not keeping up",
            Status.Code.RESOURCE_EXHAUSTED, null);
      }
      remaining = memoryFreed.awaitNanos(remaining);
    }
    usedMemory += size;
  }

  /** A batch ready to send with the broker that leads its partition. */
  record Ready(BrokerAddress leader, ProducerBatch batch) {}

  /**
   * Takes the head batch of every partition that is ready and not in flight: full, lingered
   * long enough, flushing or closing, and past its retry backoff. Partitions whose leader is
   * unknown are left queued and reported in {@code leaderless}.
   */
  List<Ready> drain(long nowNanos, Function<TopicPartition, Optional<BrokerAddress>> leaderOf,
      Set<TopicPartition> leaderless) {
    lock.lock();
    try {
      List<Ready> ready = new ArrayList<>();
      for (Map.Entry<TopicPartition, ArrayDeque<ProducerBatch>> entry : queues.entrySet()) {
        ProducerBatch head = entry.getValue().peekFirst();
        if (head == null || inFlight.contains(entry.getKey()) || !isReady(head, entry.getValue().size(), nowNanos)) {
          continue;
        }
        Optional<BrokerAddress> leader = leaderOf.apply(entry.getKey());
        if (leader.isEmpty()) {
          leaderless.add(entry.getKey());
          continue;
        }
        entry.getValue().pollFirst();
        head.closedForAppends = true;
        inFlight.add(entry.getKey());
        ready.add(new Ready(leader.get(), head));
      }
      return ready;
    } finally {
      lock.unlock();
    }
  }

  private boolean isReady(ProducerBatch batch, int queued, long nowNanos) {
    if (batch.retryAtNanos > nowNanos) {
      return false;
    }
    return batch.closedForAppends || queued > 1 || closed || flushesInProgress > 0
        || nowNanos - batch.createdNanos >= lingerNanos;
  }

  /** Nanoseconds until the sender should look again, at most {@code cap}. */
  long nanosUntilNextReady(long nowNanos, long cap) {
    lock.lock();
    try {
      long wait = cap;
      for (Map.Entry<TopicPartition, ArrayDeque<ProducerBatch>> entry : queues.entrySet()) {
        ProducerBatch head = entry.getValue().peekFirst();
        if (head == null || inFlight.contains(entry.getKey())) {
          continue;
        }
        long readyAt = Math.max(head.retryAtNanos, head.closedForAppends ? 0 : head.createdNanos + lingerNanos);
        wait = Math.min(wait, Math.max(0, readyAt - nowNanos));
      }
      return wait;
    } finally {
      lock.unlock();
    }
  }

  /** Blocks the sender until something may have become ready, or for at most {@code nanos}. */
  void awaitWork(long nanos) throws InterruptedException {
    lock.lock();
    try {
      if (!wakeupPending && nanos > 0) {
        senderWakeup.awaitNanos(nanos);
      }
      wakeupPending = false;
    } finally {
      lock.unlock();
    }
  }

  /** Puts a batch back at the head of its partition's queue, to be retried after its backoff. */
  void requeue(ProducerBatch batch) {
    lock.lock();
    try {
      queues.computeIfAbsent(batch.partition, k -> new ArrayDeque<>()).addFirst(batch);
      inFlight.remove(batch.partition);
      wakeSender();
    } finally {
      lock.unlock();
    }
  }

  /** Releases a finished (sent or failed) batch's memory and lets its partition send again. */
  void release(ProducerBatch batch) {
    lock.lock();
    try {
      inFlight.remove(batch.partition);
      incomplete.remove(batch);
      usedMemory -= batch.reservedBytes;
      memoryFreed.signalAll();
      wakeSender();
    } finally {
      lock.unlock();
    }
  }

  /** Queued batches older than {@code deadlineNanos}, removed from their queues. */
  List<ProducerBatch> expire(long nowNanos, long deliveryTimeoutNanos) {
    lock.lock();
    try {
      List<ProducerBatch> expired = new ArrayList<>();
      for (Map.Entry<TopicPartition, ArrayDeque<ProducerBatch>> entry : queues.entrySet()) {
        if (inFlight.contains(entry.getKey())) {
          continue;
        }
        ArrayDeque<ProducerBatch> queue = entry.getValue();
        while (!queue.isEmpty() && nowNanos - queue.peekFirst().createdNanos >= deliveryTimeoutNanos) {
          ProducerBatch batch = queue.pollFirst();
          batch.closedForAppends = true;
          expired.add(batch);
        }
      }
      return expired;
    } finally {
      lock.unlock();
    }
  }

  /** Every batch not yet completed, in no particular order. */
  List<ProducerBatch> incompleteBatches() {
    lock.lock();
    try {
      return List.copyOf(incomplete);
    } finally {
      lock.unlock();
    }
  }

  void beginFlush() {
    lock.lock();
    try {
      flushesInProgress++;
      wakeSender();
    } finally {
      lock.unlock();
    }
  }

  void endFlush() {
    lock.lock();
    try {
      flushesInProgress--;
    } finally {
      lock.unlock();
    }
  }

  void close() {
    lock.lock();
    try {
      closed = true;
      memoryFreed.signalAll();
      wakeSender();
    } finally {
      lock.unlock();
    }
  }

  boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  boolean isEmpty() {
    lock.lock();
    try {
      return incomplete.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  /** Removes every queued (not in-flight) batch, for an abort at close. */
  List<ProducerBatch> drainAllQueued() {
    lock.lock();
    try {
      List<ProducerBatch> all = new ArrayList<>();
      queues.values().forEach(all::addAll);
      queues.clear();
      return all;
    } finally {
      lock.unlock();
    }
  }

  private void wakeSender() {
    wakeupPending = true;
    senderWakeup.signal();
  }

  static long nanos(java.time.Duration d) {
    return TimeUnit.NANOSECONDS.convert(d);
  }
}
