package dev.skein.storage.log;

import java.util.Collection;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A {@link ProducerStateCheckpoint} in memory. A log opened with a fresh one rebuilds its producer state
 * from the batch headers; tests share one across reopenings to stand in for the state store.
 */
public final class InMemoryProducerStateCheckpoint implements ProducerStateCheckpoint {

  private final NavigableMap<Long, ProducerStateSnapshot> snapshots = new TreeMap<>();

  @Override
  public synchronized List<Long> offsets() {
    return List.copyOf(snapshots.keySet());
  }

  @Override
  public synchronized Optional<ProducerStateSnapshot> read(long offset) {
    return Optional.ofNullable(snapshots.get(offset));
  }

  @Override
  public synchronized void write(ProducerStateSnapshot snapshot, Collection<Long> obsolete) {
    obsolete.forEach(snapshots::remove);
    snapshots.put(snapshot.offset(), snapshot);
  }

  @Override
  public synchronized void delete(Collection<Long> offsets) {
    offsets.forEach(snapshots::remove);
  }

  /** Forgets every snapshot, as a data directory from before producer state was kept would have none. */
  public synchronized void clear() {
    snapshots.clear();
  }
}
