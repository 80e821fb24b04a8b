package dev.skein.storage.log;

import dev.skein.storage.log.InvalidBatchException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;

/**
 * One partition's idempotent-producer state (Kafka's {@code ProducerStateManager}, KIP-98 idempotence without
 * transactions): per producer id, its epoch and its last {@link ProducerStateEntry#MAX_BATCHES} batches.
 *
 * <p>The leader checks each batch of an idempotent producer (producer_id &ge; 0) before it is written
 * ({@link #checkLeaderAppend}); every batch written, by a leader or a follower or replayed from the log, is
 * then folded in by the same rule ({@link #update}): a batch that continues its producer's sequence in the
 * same epoch joins the window, any other starts it afresh. A leader only writes batches of the first kind,
 * of a new epoch, or of an unknown producer, so the state built by appends equals the state rebuilt from the
 * log's headers, which is what reopening and truncation rely on. Starting afresh on a gap (Kafka only does
 * so on a new epoch) keeps that true for a producer that was expired and came back with sequence 0.
 *
 * <p>Producers are kept in the order of their last append; beyond {@code maxProducers} the least recently
 * appended one is dropped. That order is part of the state (and of snapshots), so a rebuild drops the same
 * ones.
 *
 * <p>Not thread-safe: the log changes and reads it under its append lock (or its exclusive lock).
 */
final class ProducerStateManager {

  private static final Logger log = LoggerFactory.getLogger(ProducerStateManager.class);

  /** Bound on producers per partition; the least recently appended ones beyond it are evicted. */
  static final int DEFAULT_MAX_PRODUCERS = 10_000;
  /** Evictions are logged at the first one and then once per this many, so churn does not flood the log. */
  private static final long EVICTION_LOG_INTERVAL = 1_000;

  private final String owner;
  private final int maxProducers;
  /** In order of last append, least recent first. */
  private final LinkedHashMap<Long, ProducerStateEntry> entries = new LinkedHashMap<>();
  /** Bumped by every change; the log compares it to decide whether a new snapshot is needed. */
  private long version;
  private long evictions;

  /**
   * @param owner what to name in log messages (the log's directory)
   */
  ProducerStateManager(String owner, int maxProducers) {
    if (maxProducers < 1) {
      throw new IllegalArgumentException("maxProducers must be positive, not " + maxProducers);
    }
    this.owner = owner;
    this.maxProducers = maxProducers;
  }

  /** Producer ids below 0 (-1 in practice) mark batches of producers that are not idempotent: never checked. */
  static boolean isIdempotent(long producerId) {
    return producerId >= 0;
  }

  // ---------------------------------------------------------------- leader checks

  /**
   * Checks a batch an idempotent producer sends to the leader, changing nothing.
   *
   * @return the batch it repeats, if it is a retry of one of the producer's cached batches: the log writes
   *     nothing and answers with that batch's offsets; empty if it may be appended
   * @throws InvalidProducerEpochException if the producer's epoch is older than the one known
   * @throws OutOfOrderSequenceException   if the sequence does not continue the producer's (0 for a new epoch)
   * @throws UnknownProducerIdException    if the producer is unknown and the sequence is not 0
   * @throws InvalidBatchException         if the epoch or sequence is negative
   */
  Optional<ProducerBatchMetadata> checkLeaderAppend(long producerId, int producerEpoch, int baseSequence,
                            int recordCount) {
    if (producerEpoch < 0 || baseSequence < 0) {
      throw new InvalidBatchException(Reason.INVALID_HEADER, "A batch of idempotent producer " + producerId
          + " must have a producer epoch and base sequence of at least 0, not " + producerEpoch + " and "
          + baseSequence);
    }
    ProducerStateEntry entry = entries.get(producerId);
    if (entry == null) {
      if (baseSequence != 0) {
        throw new UnknownProducerIdException(producerId, producerEpoch, baseSequence);
      }
      return Optional.empty();
    }
    if (producerEpoch < entry.producerEpoch()) {
      throw new InvalidProducerEpochException(producerId, producerEpoch, entry.producerEpoch());
    }
    if (producerEpoch > entry.producerEpoch()) {
      // A restarted (or bumped) producer starts its sequences over.
      if (baseSequence != 0) {
        throw new OutOfOrderSequenceException(producerId, producerEpoch, 0, baseSequence);
      }
      return Optional.empty();
    }
    int lastSequence = ProducerBatchMetadata.incrementSequence(baseSequence, recordCount - 1);
    for (ProducerBatchMetadata cached : entry.batches()) {
      if (cached.firstSequence() == baseSequence && cached.lastSequence() == lastSequence) {
        return Optional.of(cached);
      }
    }
    if (baseSequence != entry.nextSequence()) {
      throw new OutOfOrderSequenceException(producerId, producerEpoch, entry.nextSequence(), baseSequence);
    }
    return Optional.empty();
  }

  // ---------------------------------------------------------------- changes

  /**
   * Folds in a batch the log holds (just appended as leader or follower, or replayed). Batches of producers
   * that are not idempotent are ignored.
   */
  void update(long producerId, int producerEpoch, int firstSequence, int lastSequence, long firstOffset,
        long lastOffset, long maxTimestamp) {
    if (!isIdempotent(producerId) || producerEpoch < 0 || firstSequence < 0 || lastSequence < 0) {
      return; // a leader never writes such a batch for an idempotent producer; nothing to track
    }
    ProducerBatchMetadata batch = new ProducerBatchMetadata(firstSequence, lastSequence, firstOffset, lastOffset,
        maxTimestamp);
    ProducerStateEntry current = entries.remove(producerId); // re-inserted last: most recently appended
    ProducerStateEntry updated = current != null && current.producerEpoch() == producerEpoch
        && current.nextSequence() == firstSequence
        ? current.with(batch)
        : ProducerStateEntry.first(producerId, producerEpoch, batch);
    entries.put(producerId, updated);
    version++;
    evictBeyondBound();
  }

  /**
   * Folds in the batch whose stored header is at {@code index} of {@code buffer} (as {@link #update}). The
   * last sequence is computed from last_offset_delta, as Kafka does, so that it stays right for batches
   * compaction has thinned (record_count then falls below last_offset_delta + 1).
   */
  void updateFromHeader(ByteBuffer buffer, int index) {
    ByteBuffer b = buffer.order() == ByteOrder.LITTLE_ENDIAN ? buffer
        : buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long producerId = b.getLong(index + BatchLayout.PRODUCER_ID_POSITION);
    if (!isIdempotent(producerId)) {
      return;
    }
    int baseSequence = b.getInt(index + BatchLayout.BASE_SEQUENCE_POSITION);
    int lastOffsetDelta = b.getInt(index + BatchLayout.LAST_OFFSET_DELTA_POSITION);
    long baseOffset = b.getLong(index + BatchLayout.BASE_OFFSET_POSITION);
    update(producerId, b.getInt(index + BatchLayout.PRODUCER_EPOCH_POSITION), baseSequence,
        baseSequence < 0 ? -1 : ProducerBatchMetadata.incrementSequence(baseSequence, lastOffsetDelta),
        baseOffset, baseOffset + lastOffsetDelta, b.getLong(index + BatchLayout.MAX_TIMESTAMP_POSITION));
  }

  /** Adds a producer restored from a snapshot, as the most recently appended. */
  void restore(ProducerStateEntry entry) {
    entries.remove(entry.producerId());
    entries.put(entry.producerId(), entry);
    version++;
    evictBeyondBound();
  }

  private void evictBeyondBound() {
    while (entries.size() > maxProducers) {
      Iterator<ProducerStateEntry> eldest = entries.values().iterator();
      ProducerStateEntry evicted = eldest.next();
      eldest.remove();
      evictions++;
      if (evictions == 1 || evictions % EVICTION_LOG_INTERVAL == 0) {
        log.info("{} tracks more than {} idempotent producers: evicted the least recently active one ({}, last"
            + " offset {}); {} evicted so far. A producer evicted and still active gets UNKNOWN_PRODUCER_ID.",
            owner, maxProducers, evicted.producerId(), evicted.lastOffset(), evictions);
      }
    }
  }

  /**
   * Removes the producers whose last batch's max_timestamp is at least {@code maxIdleMs} before
   * {@code nowMs} (Kafka's producer.id.expiration.ms).
   *
   * @return how many were removed
   */
  int expire(long nowMs, long maxIdleMs) {
    int before = entries.size();
    entries.values().removeIf(entry -> nowMs - entry.lastTimestamp() >= maxIdleMs);
    int removed = before - entries.size();
    if (removed > 0) {
      version++;
      log.info("Expired {} idempotent producers of {} idle for {} ms or more; {} remain", removed, owner,
          maxIdleMs, entries.size());
    }
    return removed;
  }

  void clear() {
    entries.clear();
    version++;
  }

  // ---------------------------------------------------------------- queries

  Optional<ProducerStateEntry> entry(long producerId) {
    return Optional.ofNullable(entries.get(producerId));
  }

  /** Every producer, least recently appended first. */
  List<ProducerStateEntry> entries() {
    return List.copyOf(entries.values());
  }

  int size() {
    return entries.size();
  }

  long version() {
    return version;
  }

  ProducerStateSnapshot snapshot(long offset) {
    return new ProducerStateSnapshot(offset, new ArrayList<>(entries.values()));
  }

  @Override
  public String toString() {
    return "ProducerStateManager[" + owner + ", " + entries.size() + " producers]";
  }
}
