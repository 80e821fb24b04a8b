package dev.skein.storage.log;

import java.util.List;

/**
 * A partition's producer state as it was when the log ended at {@code offset}: replaying the batch headers
 * from {@code offset} to the log end on top of it gives the current state.
 *
 * @param offset  the log end offset the state is valid at
 * @param entries every producer, least recently appended first (the order eviction follows)
 */
public record ProducerStateSnapshot(long offset, List<ProducerStateEntry> entries) {

  public ProducerStateSnapshot {
    if (offset < 0) {
      throw new IllegalArgumentException("Snapshot offset must not be negative: " + offset);
    }
    entries = List.copyOf(entries);
  }
}
