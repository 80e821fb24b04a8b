package dev.skein.storage.log;

import java.util.ArrayList;
import java.util.List;

/**
 * What one partition knows of one idempotent producer: its current epoch and its last appended batches
 * (at most {@link #MAX_BATCHES}, oldest first), the window in which a retried batch is recognized as a
 * duplicate. Immutable.
 *
 * @param producerId    not negative
 * @param producerEpoch the epoch of the batches held, not negative
 * @param batches       one to {@link #MAX_BATCHES} batches in log order, all in {@code producerEpoch}
 */
public record ProducerStateEntry(long producerId, int producerEpoch, List<ProducerBatchMetadata> batches) {

  /** Kafka's max.in.flight.requests.per.connection limit for idempotence: a producer retries no older batch. */
  public static final int MAX_BATCHES = 5;

  public ProducerStateEntry {
    if (producerId < 0 || producerEpoch < 0) {
      throw new IllegalArgumentException("Invalid producer " + producerId + " epoch " + producerEpoch);
    }
    batches = List.copyOf(batches);
    if (batches.isEmpty() || batches.size() > MAX_BATCHES) {
      throw new IllegalArgumentException("Producer " + producerId + " must hold 1 to " + MAX_BATCHES
          + " batches, not " + batches.size());
    }
  }

  /** A producer's state after its first batch (in this epoch, or at all). */
  static ProducerStateEntry first(long producerId, int producerEpoch, ProducerBatchMetadata batch) {
    return new ProducerStateEntry(producerId, producerEpoch, List.of(batch));
  }

  /** This state with {@code batch} appended, dropping the oldest batch beyond {@link #MAX_BATCHES}. */
  ProducerStateEntry with(ProducerBatchMetadata batch) {
    List<ProducerBatchMetadata> kept = new ArrayList<>(MAX_BATCHES);
    kept.addAll(batches.subList(batches.size() == MAX_BATCHES ? 1 : 0, batches.size()));
    kept.add(batch);
    return new ProducerStateEntry(producerId, producerEpoch, kept);
  }

  public ProducerBatchMetadata lastBatch() {
    return batches.get(batches.size() - 1);
  }

  /** The sequence of the producer's last appended record. */
  public int lastSequence() {
    return lastBatch().lastSequence();
  }

  /** The offset of the producer's last appended record. */
  public long lastOffset() {
    return lastBatch().lastOffset();
  }

  /** The max_timestamp of its last batch: what expiry measures idleness from (as Kafka's lastTimestamp). */
  public long lastTimestamp() {
    return lastBatch().maxTimestamp();
  }

  /** The sequence the producer's next new batch must start with in this epoch. */
  public int nextSequence() {
    return ProducerBatchMetadata.incrementSequence(lastSequence(), 1);
  }
}
