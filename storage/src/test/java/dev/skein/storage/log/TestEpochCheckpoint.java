package dev.skein.storage.log;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * An in-memory {@link LeaderEpochCheckpoint} that stands in for the state store across reopenings and can
 * lose writes, as a crash between a log change and its persistence would.
 */
final class TestEpochCheckpoint implements LeaderEpochCheckpoint {

  private List<EpochEntry> stored;
  private boolean dropWrites;
  private int writes;
  private final List<List<EpochEntry>> history = new ArrayList<>();
  private Consumer<List<EpochEntry>> onWrite = entries -> { };

  @Override
  public synchronized Optional<List<EpochEntry>> read() {
    return Optional.ofNullable(stored);
  }

  @Override
  public synchronized void write(List<EpochEntry> entries) {
    writes++;
    onWrite.accept(entries);
    if (!dropWrites) {
      stored = List.copyOf(entries);
      history.add(stored);
    }
  }

  /** While set, writes are counted but lost. */
  synchronized void dropWrites(boolean drop) {
    dropWrites = drop;
  }

  /** Forgets what was stored, as a data directory from before the cache existed would have nothing. */
  synchronized void forget() {
    stored = null;
  }

  synchronized void store(List<EpochEntry> entries) {
    stored = List.copyOf(entries);
  }

  /** Writes attempted, including lost ones. */
  synchronized int writes() {
    return writes;
  }

  /** Every list stored, in order. */
  synchronized List<List<EpochEntry>> history() {
    return List.copyOf(history);
  }

  /** Runs before each write is applied (or lost), with the entries being written. */
  synchronized void onWrite(Consumer<List<EpochEntry>> hook) {
    onWrite = hook;
  }
}
