package dev.skein.storage.log;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Producer state worked out from scratch, for tests: the batches of a log folded one by one (a batch that
 * continues its producer's sequence in the same epoch joins the window of five, any other starts it), and
 * what a leader must answer to a new batch given that state.
 */
final class ProducerStateModel {

  /** What a leader append must do. */
  enum Outcome { APPEND, DUPLICATE, INVALID_EPOCH, OUT_OF_ORDER, UNKNOWN_PRODUCER }

  private ProducerStateModel() {
  }

  static List<StoredBatch> batchesOf(PartitionLog log) {
    List<StoredBatch> batches = new ArrayList<>();
    for (Iterator<StoredBatch> it = log.batchesFrom(log.logStartOffset()); it.hasNext(); ) {
      batches.add(it.next());
    }
    return batches;
  }

  /** The state of a log holding {@code batches}, least recently appended producer first. */
  static List<ProducerStateEntry> rebuild(List<StoredBatch> batches, int maxProducers) {
    return List.copyOf(fold(batches, maxProducers).values());
  }

  static List<ProducerStateEntry> rebuild(PartitionLog log, int maxProducers) {
    return rebuild(batchesOf(log), maxProducers);
  }

  static Map<Long, ProducerStateEntry> fold(List<StoredBatch> batches, int maxProducers) {
    LinkedHashMap<Long, ProducerStateEntry> producers = new LinkedHashMap<>();
    for (StoredBatch batch : batches) {
      long producerId = batch.producerId();
      if (producerId < 0 || batch.producerEpoch() < 0 || batch.baseSequence() < 0) {
        continue;
      }
      int lastSequence = plus(batch.baseSequence(), batch.lastOffsetDelta());
      ProducerStateEntry current = producers.remove(producerId);
      List<ProducerBatchMetadata> window = new ArrayList<>();
      if (current != null && current.producerEpoch() == batch.producerEpoch()
          && plus(current.lastSequence(), 1) == batch.baseSequence()) {
        window.addAll(current.batches());
      }
      window.add(new ProducerBatchMetadata(batch.baseSequence(), lastSequence, batch.baseOffset(),
          batch.lastOffset(), batch.maxTimestamp()));
      if (window.size() > 5) {
        window.remove(0);
      }
      producers.put(producerId, new ProducerStateEntry(producerId, batch.producerEpoch(), window));
      if (producers.size() > maxProducers) {
        producers.remove(producers.keySet().iterator().next());
      }
    }
    return producers;
  }

  /** Sequence arithmetic written out separately from the code under test: wraps from MAX_VALUE to 0. */
  static int plus(int sequence, int increment) {
    long sum = (long) sequence + increment;
    return (int) (sum > Integer.MAX_VALUE ? sum - Integer.MAX_VALUE - 1 : sum);
  }

  /** What a leader holding {@code state} must do with a batch; for a duplicate, {@code original} is set. */
  static Outcome outcome(Map<Long, ProducerStateEntry> state, long producerId, int epoch, int baseSequence,
               int records, ProducerBatchMetadata[] original) {
    ProducerStateEntry entry = state.get(producerId);
    if (entry == null) {
      return baseSequence == 0 ? Outcome.APPEND : Outcome.UNKNOWN_PRODUCER;
    }
    if (epoch < entry.producerEpoch()) {
      return Outcome.INVALID_EPOCH;
    }
    if (epoch > entry.producerEpoch()) {
      return baseSequence == 0 ? Outcome.APPEND : Outcome.OUT_OF_ORDER;
    }
    int lastSequence = plus(baseSequence, records - 1);
    Optional<ProducerBatchMetadata> duplicate = entry.batches().stream()
        .filter(b -> b.firstSequence() == baseSequence && b.lastSequence() == lastSequence).findFirst();
    if (duplicate.isPresent()) {
      original[0] = duplicate.get();
      return Outcome.DUPLICATE;
    }
    return baseSequence == plus(entry.lastSequence(), 1) ? Outcome.APPEND : Outcome.OUT_OF_ORDER;
  }
}
