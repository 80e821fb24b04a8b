package dev.skein.storage.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A partition's leader-epoch cache (Kafka's {@code LeaderEpochFileCache}, KIP-101/279): for each leader
 * epoch the log holds, the first offset written in it. Epochs and start offsets both strictly increase
 * along the list. Replicas compare these histories to find where a follower's log leaves its leader's.
 *
 * <p>Every change is written to the {@link LeaderEpochCheckpoint} before the method returns. New entries
 * are written <em>before</em> they are published (and the log writes them before the batches they
 * describe), removals after, so the stored list never lacks an entry for data in the log; whatever it
 * holds beyond the log end is dropped when the log is opened.
 *
 * <p>Thread-safe: readers see an immutable list without locking; changes are serialized. Changes are rare
 * (about one per leader change), so copying the list on each is cheap.
 */
public final class LeaderEpochCache {

  private static final Logger log = LoggerFactory.getLogger(LeaderEpochCache.class);

  private final LeaderEpochCheckpoint checkpoint;
  /** Immutable, ascending in epoch and start offset. */
  private volatile List<EpochEntry> entries;

  /**
   * A cache holding {@code entries} (which are not written: they are taken to be stored already).
   *
   * @throws IllegalArgumentException if epochs or start offsets do not strictly increase
   */
  public LeaderEpochCache(List<EpochEntry> entries, LeaderEpochCheckpoint checkpoint) {
    this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
    requireStrictlyIncreasing(entries);
    this.entries = List.copyOf(entries);
  }

  /** Whether epochs and start offsets of {@code entries} both strictly increase. */
  public static boolean isStrictlyIncreasing(List<EpochEntry> entries) {
    for (int i = 1; i < entries.size(); i++) {
      EpochEntry previous = entries.get(i - 1);
      EpochEntry entry = entries.get(i);
      if (entry.epoch() <= previous.epoch() || entry.startOffset() <= previous.startOffset()) {
        return false;
      }
    }
    return true;
  }

  private static void requireStrictlyIncreasing(List<EpochEntry> entries) {
    if (!isStrictlyIncreasing(entries)) {
      throw new IllegalArgumentException("Leader epoch entries must strictly increase in epoch and start offset: "
          + entries);
    }
  }

  // ---------------------------------------------------------------- changes

  /**
   * Records that {@code epoch} starts at {@code startOffset}. Ignored (returns false) unless {@code epoch}
   * is above the latest epoch. Entries starting at or above {@code startOffset} are replaced, as in Kafka:
   * they can only be epochs in which nothing was written (a leader's entry at its log end).
   *
   * @return whether the cache changed
   */
  public synchronized boolean assign(int epoch, long startOffset) {
    return assign(List.of(new EpochEntry(epoch, startOffset)));
  }

  /**
   * Applies {@link #assign(int, long)} to each entry in order, with one write: for a follower append that
   * brings several epochs at once.
   *
   * @return whether the cache changed
   */
  public synchronized boolean assign(List<EpochEntry> newEntries) {
    List<EpochEntry> current = entries;
    List<EpochEntry> updated = current;
    for (EpochEntry entry : newEntries) {
      updated = withAssigned(updated, entry);
    }
    if (updated == current) {
      return false;
    }
    // Written before it is published: the log appends the batches only after this returns.
    checkpoint.write(updated);
    entries = updated;
    log.debug("Leader epoch cache is now {} (was {})", updated, current);
    return true;
  }

  /** {@code entries} with {@code entry} assigned; the same instance if that changes nothing. */
  static List<EpochEntry> withAssigned(List<EpochEntry> entries, EpochEntry entry) {
    if (!entries.isEmpty() && entry.epoch() <= entries.get(entries.size() - 1).epoch()) {
      return entries;
    }
    List<EpochEntry> updated = new ArrayList<>(entries.size() + 1);
    for (EpochEntry existing : entries) {
      if (existing.startOffset() >= entry.startOffset()) {
        break;
      }
      updated.add(existing);
    }
    updated.add(entry);
    return List.copyOf(updated);
  }

  /**
   * Removes the entries starting at or above {@code endOffset}: the log was truncated to end there.
   *
   * @return whether the cache changed
   */
  public synchronized boolean truncateFromEnd(long endOffset) {
    List<EpochEntry> current = entries;
    List<EpochEntry> updated = withTruncatedFromEnd(current, endOffset);
    if (updated == current) {
      return false;
    }
    publishThenWrite(updated);
    log.debug("Removed leader epoch entries {} at or above offset {}", current.subList(updated.size(),
        current.size()), endOffset);
    return true;
  }

  static List<EpochEntry> withTruncatedFromEnd(List<EpochEntry> entries, long endOffset) {
    int keep = entries.size();
    while (keep > 0 && entries.get(keep - 1).startOffset() >= endOffset) {
      keep--;
    }
    return keep == entries.size() ? entries : List.copyOf(entries.subList(0, keep));
  }

  /**
   * Removes the entries that lie entirely below {@code startOffset} and moves the start of the earliest
   * remaining epoch up to it (an epoch that began below the new log start now begins there), as Kafka's
   * cache does when the log start moves.
   *
   * @return whether the cache changed
   */
  public synchronized boolean truncateFromStart(long startOffset) {
    List<EpochEntry> current = entries;
    List<EpochEntry> updated = withTruncatedFromStart(current, startOffset);
    if (updated == current) {
      return false;
    }
    publishThenWrite(updated);
    log.debug("Moved the leader epoch cache's start to offset {}: {} -> {}", startOffset, current, updated);
    return true;
  }

  static List<EpochEntry> withTruncatedFromStart(List<EpochEntry> entries, long startOffset) {
    int last = -1; // the last entry starting at or below startOffset: it covers startOffset
    while (last + 1 < entries.size() && entries.get(last + 1).startOffset() <= startOffset) {
      last++;
    }
    if (last < 0 || (last == 0 && entries.get(0).startOffset() == startOffset)) {
      return entries;
    }
    List<EpochEntry> updated = new ArrayList<>(entries.size() - last);
    updated.add(new EpochEntry(entries.get(last).epoch(), startOffset));
    updated.addAll(entries.subList(last + 1, entries.size()));
    return List.copyOf(updated);
  }

  /** Removes every entry: the log was emptied. */
  public synchronized void clear() {
    if (!entries.isEmpty()) {
      publishThenWrite(List.of());
    }
  }

  /** Removals are published first: readers must not see epochs whose data is gone, and losing the write is safe. */
  private void publishThenWrite(List<EpochEntry> updated) {
    entries = List.copyOf(updated);
    checkpoint.write(entries);
  }

  // ---------------------------------------------------------------- queries

  public OptionalInt latestEpoch() {
    List<EpochEntry> current = entries;
    return current.isEmpty() ? OptionalInt.empty() : OptionalInt.of(current.get(current.size() - 1).epoch());
  }

  public Optional<EpochEntry> latestEntry() {
    List<EpochEntry> current = entries;
    return current.isEmpty() ? Optional.empty() : Optional.of(current.get(current.size() - 1));
  }

  public Optional<EpochEntry> earliestEntry() {
    List<EpochEntry> current = entries;
    return current.isEmpty() ? Optional.empty() : Optional.of(current.get(0));
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** The entries, ascending (an immutable snapshot). */
  public List<EpochEntry> epochEntries() {
    return entries;
  }

  /**
   * Where {@code requestedEpoch} ends in a log ending at {@code logEndOffset}:
   * <ul>
   *   <li>the latest epoch: (latest, {@code logEndOffset});</li>
   *   <li>below the earliest epoch, above the latest, negative, or no epochs cached:
   *       {@link EpochEndOffset#UNDEFINED};</li>
   *   <li>otherwise: the largest epoch at or below {@code requestedEpoch}, ending where the first epoch
   *       above {@code requestedEpoch} starts.</li>
   * </ul>
   */
  public EpochEndOffset endOffsetFor(int requestedEpoch, long logEndOffset) {
    List<EpochEntry> current = entries;
    if (requestedEpoch < 0 || current.isEmpty()) {
      return EpochEndOffset.UNDEFINED;
    }
    EpochEntry latest = current.get(current.size() - 1);
    if (requestedEpoch == latest.epoch()) {
      return new EpochEndOffset(latest.epoch(), logEndOffset);
    }
    if (requestedEpoch > latest.epoch() || requestedEpoch < current.get(0).epoch()) {
      return EpochEndOffset.UNDEFINED;
    }
    int higher = firstIndexWithEpochAbove(current, requestedEpoch); // exists: requestedEpoch < latest
    return new EpochEndOffset(current.get(higher - 1).epoch(), current.get(higher).startOffset());
  }

  private static int firstIndexWithEpochAbove(List<EpochEntry> entries, int epoch) {
    int low = 0;
    int high = entries.size();
    while (low < high) {
      int middle = (low + high) >>> 1;
      if (entries.get(middle).epoch() <= epoch) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }

  /** The epoch {@code offset} was written in: the one with the largest start offset at or below it, if any. */
  public OptionalInt epochForOffset(long offset) {
    List<EpochEntry> current = entries;
    int low = 0;
    int high = current.size();
    while (low < high) {
      int middle = (low + high) >>> 1;
      if (current.get(middle).startOffset() <= offset) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low == 0 ? OptionalInt.empty() : OptionalInt.of(current.get(low - 1).epoch());
  }

  @Override
  public String toString() {
    return "LeaderEpochCache" + entries;
  }
}
