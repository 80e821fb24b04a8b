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
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Gathers records into per-partition batches until they are ready to send, bounds the memory
 * they hold (buffer.memory: a send() that would exceed it blocks up to max.block.ms), and
 * decides which batches may be in flight.
 *
 * <p>Without idempotence up to max.in.flight batches of a partition are in flight, as in Kafka,
 * so a retried batch may land behind a later one. With idempotence each batch gets the partition's next
 * sequence numbers when it is first sent, up to {@code maxInFlightPerPartition} are in flight,
 * and the broker refuses a batch that does not continue the sequence: a failed batch and the
 * ones after it are resent, in sequence order, once nothing of the partition is in flight.
 * When the broker cannot place a sequence at all (it lost the producer's state, or a batch in
 * doubt expired), the producer raises its epoch and numbers everything unacknowledged from 0
 * again, once nothing at all is in flight.
 */
final class RecordAccumulator {

  /** The most bytes a record's offset delta field can take (tag plus a 5-byte varint). */
  private static final int MAX_DELTA_BYTES = 6;

  /** A partition's queue and sequencing. Guarded by the accumulator's lock. */
  private static final class PartitionState {
    /** Batches not in flight: retries (in sequence order) first, then new batches in append order. */
    final ArrayDeque<ProducerBatch> queue = new ArrayDeque<>();
    final List<ProducerBatch> inFlight = new ArrayList<>();
    /** Sequenced batches not yet acknowledged, oldest first. */
    final List<ProducerBatch> unacknowledged = new ArrayList<>();
    int nextSequence;

    boolean headIsRetry() {
      ProducerBatch head = queue.peekFirst();
      return head != null && head.attempts > 0;
    }
  }

  private final int batchSize;
  private final long lingerNanos;
  private final long bufferMemory;
  private final boolean idempotent;
  private final int maxInFlightPerPartition;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition senderWakeup = lock.newCondition();
  private final Condition memoryFreed = lock.newCondition();
  private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
  private final Set<ProducerBatch> incomplete = new HashSet<>();
  /**
   * Arrays of batch.size bytes from finished batches, reused for new ones (Kafka's BufferPool):
   * a batch's array is no longer referenced once the batch has been answered. Never more than
   * buffer.memory worth are kept.
   */
  private final ArrayDeque<byte[]> freeBuffers = new ArrayDeque<>();
  private long usedMemory;
  private int flushesInProgress;
  private boolean closed;
  private boolean wakeupPending;
  private long producerId = -1;
  private int producerEpoch;
  private boolean epochBumpPending;

  RecordAccumulator(int batchSize, long lingerNanos, long bufferMemory, boolean idempotent,
      int maxInFlightPerPartition) {
    this.batchSize = batchSize;
    this.lingerNanos = lingerNanos;
    this.bufferMemory = bufferMemory;
    this.idempotent = idempotent;
    // As in Kafka: without idempotence several batches of a partition may be in flight too,
    // and a retry can then land behind a later batch (use max.in.flight=1 to rule that out).
    this.maxInFlightPerPartition = maxInFlightPerPartition;
  }

  CompletableFuture<RecordMetadata> append(TopicPartition tp, long timestamp, byte[] key, byte[] value,
      List<Header> headers, long maxBlockNanos) throws InterruptedException {
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("producer is closed");
      }
      // An offset delta adds at most MAX_DELTA_BYTES over the size of the record as a batch's first.
      int size = RecordSetWriter.encodedSize(0, timestamp, key, value, headers) + MAX_DELTA_BYTES;
      PartitionState state = partitions.computeIfAbsent(tp, k -> new PartitionState());
      ProducerBatch open = state.queue.peekLast();
      if (open == null || open.closedForAppends || open.records.sizeInBytes() + size > batchSize) {
        if (open != null && !open.closedForAppends) {
          open.closedForAppends = true;
          wakeSender();
        }
        // May wait (releasing the lock); the new batch is then the partition's last.
        byte[] buffer = allocate(size, maxBlockNanos);
        open = new ProducerBatch(tp, buffer, System.nanoTime());
        state.queue.addLast(open);
        incomplete.add(open);
      }
      CompletableFuture<RecordMetadata> future = open.add(timestamp, key, value, headers);
      if (open.records.sizeInBytes() >= batchSize) {
        open.closedForAppends = true;
        wakeSender();
      } else if (lingerNanos == 0 || state.queue.size() == 1) {
        wakeSender();
      }
      return future;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The array for a new batch, sized for a full batch at once (growing it by doubling would
   * copy every batch several times), or for one record larger than that. Every array a batch
   * holds, and every free one kept for reuse, counts against buffer.memory; when it is used
   * up this waits up to max.block.ms for batches to finish.
   */
  private byte[] allocate(int recordSize, long maxBlockNanos) throws InterruptedException {
    int length = Math.max(recordSize, batchSize);
    long remaining = maxBlockNanos;
    while (true) {
      if (closed) {
        throw new IllegalStateException("producer is closed");
      }
      if (length == batchSize && !freeBuffers.isEmpty()) {
        return freeBuffers.pollFirst(); // already counted
      }
      while (usedMemory + length > bufferMemory && !freeBuffers.isEmpty()) {
        freeBuffers.pollFirst(); // a free array of the wrong size: give its memory back
        usedMemory -= batchSize;
      }
      if (usedMemory + length <= bufferMemory || usedMemory == 0) {
        usedMemory += length;
        return new byte[length];
      }
      if (remaining <= 0) {
        throw new SkeinException("could not allocate " + length + " bytes within max.block.ms: buffer.memory ("
            + bufferMemory + " bytes) is full because the brokers are not keeping up",
            Status.Code.RESOURCE_EXHAUSTED, null);
      }
      remaining = memoryFreed.awaitNanos(remaining);
    }
  }

  /** A batch ready to send with the broker that leads its partition. */
  record Ready(BrokerAddress leader, ProducerBatch batch) {}

  /**
   * What one drain found: the batches to send, and whether some ready batch waits only for its
   * broker to answer (then the sender sleeps until an answer wakes it, instead of spinning).
   */
  record Drained(List<Ready> ready, boolean waitingForBrokers, List<ProducerBatch> unresendable) {

    Drained(List<Ready> ready, boolean waitingForBrokers) {
      this(ready, waitingForBrokers, List.of());
    }
  }

  /**
   * Takes at most one batch per partition that is ready and allowed in flight: full, lingered
   * long enough, flushing or closing, past its retry backoff, its leader known and that broker
   * able to take another request. Sequence numbers are given here, on first send.
   */
  Drained drain(long nowNanos, Function<TopicPartition, Optional<BrokerAddress>> leaderOf,
      Predicate<BrokerAddress> brokerHasCapacity, Set<TopicPartition> leaderless) {
    lock.lock();
    try {
      List<Ready> ready = new ArrayList<>();
      boolean waitingForBrokers = false;
      List<ProducerBatch> unresendable = new ArrayList<>();
      if (idempotent && !resolveProducerIdentity(unresendable)) {
        return new Drained(ready, true, unresendable);
      }
      for (Map.Entry<TopicPartition, PartitionState> entry : partitions.entrySet()) {
        PartitionState state = entry.getValue();
        ProducerBatch head = state.queue.peekFirst();
        if (head == null || !mayFly(state) || !isReady(head, state.queue.size(), nowNanos)) {
          continue;
        }
        Optional<BrokerAddress> leader = leaderOf.apply(entry.getKey());
        if (leader.isEmpty()) {
          leaderless.add(entry.getKey());
          continue;
        }
        if (!brokerHasCapacity.test(leader.get())) {
          waitingForBrokers = true;
          continue;
        }
        state.queue.pollFirst();
        head.closedForAppends = true;
        if (idempotent && head.baseSequence < 0) {
          head.producerId = producerId;
          head.producerEpoch = producerEpoch;
          head.baseSequence = state.nextSequence;
          state.nextSequence = addSequence(state.nextSequence, head.records.recordCount());
          state.unacknowledged.add(head);
        }
        state.inFlight.add(head);
        ready.add(new Ready(leader.get(), head));
      }
      return new Drained(ready, waitingForBrokers, unresendable);
    } finally {
      lock.unlock();
    }
  }

  /** Whether the partition may put its head batch in flight now. */
  private boolean mayFly(PartitionState state) {
    if (state.headIsRetry()) {
      // Resend a failed batch only when nothing of the partition is in flight, so the
      // broker sees the sequence from the gap on, in order.
      return state.inFlight.isEmpty();
    }
    return state.inFlight.size() < maxInFlightPerPartition;
  }

  /**
   * With idempotence: false while there is no producer id yet, or while an epoch bump waits
   * for the last in-flight batch; performs the bump once nothing is in flight.
   *
   * <p>A batch whose earlier attempt has an unknown outcome may already be in the log. Only its
   * original producer id, epoch and sequence let a leader recognise it as a duplicate, so it is
   * never renumbered under the new epoch: it is taken out of its queue into {@code unresendable},
   * for the caller to fail as of unknown outcome. Batches that no broker can have stored are
   * renumbered and sent again.
   */
  private boolean resolveProducerIdentity(List<ProducerBatch> unresendable) {
    if (epochBumpPending) {
      for (PartitionState state : partitions.values()) {
        if (!state.inFlight.isEmpty()) {
          return false;
        }
      }
      epochBumpPending = false;
      if (producerEpoch >= Short.MAX_VALUE) {
        producerId = -1;
      } else {
        producerEpoch++;
      }
      for (PartitionState state : partitions.values()) {
        state.nextSequence = 0;
        for (ProducerBatch batch : state.unacknowledged) {
          batch.baseSequence = -1;
          if (batch.inDoubt && state.queue.remove(batch)) {
            unresendable.add(batch);
          }
        }
        state.unacknowledged.clear();
      }
    }
    return producerId >= 0;
  }

  private boolean isReady(ProducerBatch batch, int queued, long nowNanos) {
    if (batch.retryAtNanos > nowNanos) {
      return false;
    }
    return batch.closedForAppends || queued > 1 || closed || flushesInProgress > 0
        || nowNanos - batch.createdNanos >= lingerNanos;
  }

  static int addSequence(int sequence, int count) {
    long next = (long) sequence + count;
    return next > Integer.MAX_VALUE ? (int) (next - Integer.MAX_VALUE - 1) : (int) next;
  }

  /** Nanoseconds until the sender should look again, at most {@code cap}. */
  long nanosUntilNextReady(long nowNanos, long cap) {
    lock.lock();
    try {
      long wait = cap;
      for (PartitionState state : partitions.values()) {
        ProducerBatch head = state.queue.peekFirst();
        if (head == null || !mayFly(state)) {
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

  /** Puts a batch back among its partition's queued batches, in sequence order, to be sent again. */
  void requeue(ProducerBatch batch) {
    lock.lock();
    try {
      PartitionState state = partitions.get(batch.partition);
      state.inFlight.remove(batch);
      List<ProducerBatch> queued = new ArrayList<>(state.queue);
      int at = 0;
      while (at < queued.size() && queued.get(at).attempts > 0
          && sendsBefore(queued.get(at), batch, state)) {
        at++;
      }
      queued.add(at, batch);
      state.queue.clear();
      state.queue.addAll(queued);
      wakeSender();
    } finally {
      lock.unlock();
    }
  }

  /** Whether {@code a} was sequenced before {@code b} (or neither is sequenced and a came first). */
  private static boolean sendsBefore(ProducerBatch a, ProducerBatch b, PartitionState state) {
    int ia = state.unacknowledged.indexOf(a);
    int ib = state.unacknowledged.indexOf(b);
    if (ia >= 0 && ib >= 0) {
      return ia < ib;
    }
    return a.createdNanos <= b.createdNanos;
  }

  /** Whether {@code batch} is its partition's oldest unacknowledged sequenced batch. */
  boolean isOldestUnacknowledged(ProducerBatch batch) {
    lock.lock();
    try {
      PartitionState state = partitions.get(batch.partition);
      return state != null && !state.unacknowledged.isEmpty() && state.unacknowledged.get(0) == batch;
    } finally {
      lock.unlock();
    }
  }

  /** Restarts sequence numbering under a higher epoch once nothing is in flight. */
  void requestEpochBump() {
    lock.lock();
    try {
      if (idempotent) {
        epochBumpPending = true;
      }
    } finally {
      lock.unlock();
    }
  }

  boolean needsProducerId() {
    lock.lock();
    try {
      return idempotent && producerId < 0 && !epochBumpPending;
    } finally {
      lock.unlock();
    }
  }

  void producerIdentity(long id, int epoch) {
    lock.lock();
    try {
      producerId = id;
      producerEpoch = epoch;
      wakeSender();
    } finally {
      lock.unlock();
    }
  }

  /** Releases a finished (sent or failed) batch's memory and lets its partition send again. */
  void release(ProducerBatch batch) {
    release(batch, true);
  }

  /**
   * As {@link #release(ProducerBatch)}; {@code reuseBuffer} false when gRPC may still read the
   * batch's array (an acks=0 request is not serialized until the channel is ready).
   */
  void release(ProducerBatch batch, boolean reuseBuffer) {
    lock.lock();
    try {
      PartitionState state = partitions.get(batch.partition);
      if (state != null) {
        state.inFlight.remove(batch);
        state.unacknowledged.remove(batch);
      }
      incomplete.remove(batch);
      byte[] buffer = batch.records.buffer();
      if (reuseBuffer && buffer.length == batchSize) {
        freeBuffers.addLast(buffer); // its memory stays counted
      } else {
        usedMemory -= buffer.length;
      }
      memoryFreed.signalAll();
      wakeSender();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Queued batches older than the delivery timeout, removed from their queues. A batch that
   * was sent before is in doubt; numbering must restart after it.
   */
  List<ProducerBatch> expire(long nowNanos, long deliveryTimeoutNanos) {
    lock.lock();
    try {
      List<ProducerBatch> expired = new ArrayList<>();
      for (PartitionState state : partitions.values()) {
        if (!state.inFlight.isEmpty()) {
          continue;
        }
        while (!state.queue.isEmpty() && nowNanos - state.queue.peekFirst().createdNanos >= deliveryTimeoutNanos) {
          ProducerBatch batch = state.queue.pollFirst();
          batch.closedForAppends = true;
          if (batch.baseSequence >= 0) {
            epochBumpPending = idempotent;
          }
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
      for (PartitionState state : partitions.values()) {
        all.addAll(state.queue);
        state.queue.clear();
      }
      return all;
    } finally {
      lock.unlock();
    }
  }

  private void wakeSender() {
    wakeupPending = true;
    senderWakeup.signal();
  }
}
