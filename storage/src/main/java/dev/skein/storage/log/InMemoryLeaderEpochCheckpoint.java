package dev.skein.storage.log;

import java.util.List;
import java.util.Optional;

/**
 * A {@link LeaderEpochCheckpoint} in memory. A log opened with a fresh one rebuilds its cache from the
 * batch headers; tests share one across reopenings to stand in for the state store.
 */
public final class InMemoryLeaderEpochCheckpoint implements LeaderEpochCheckpoint {

  private volatile List<EpochEntry> entries;

  /** Nothing written yet. */
  public InMemoryLeaderEpochCheckpoint() {
  }

  public InMemoryLeaderEpochCheckpoint(List<EpochEntry> entries) {
    this.entries = List.copyOf(entries);
  }

  @Override
  public Optional<List<EpochEntry>> read() {
    return Optional.ofNullable(entries);
  }

  @Override
  public void write(List<EpochEntry> entries) {
    this.entries = List.copyOf(entries);
  }

  /** Forgets what was written, as if nothing ever was. */
  public void clear() {
    entries = null;
  }
}
