package dev.skein.storage.log;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Where one partition's producer-state snapshots are kept between runs, by offset. The {@link LogManager}
 * keeps them in the state store ({@code StateNamespace.PRODUCER_STATES}); {@link
 * InMemoryProducerStateCheckpoint} keeps them in memory for tests and for logs opened without persistence.
 *
 * <p>The log keeps a few snapshots at different offsets so that truncation below the latest one can start
 * from an older one rather than from the log start.
 */
public interface ProducerStateCheckpoint {

  /** The offsets of the stored snapshots, ascending. */
  List<Long> offsets();

  /** The snapshot stored at {@code offset}; empty if there is none or it cannot be read. */
  Optional<ProducerStateSnapshot> read(long offset);

  /**
   * Stores {@code snapshot} (replacing one at the same offset) and removes the snapshots at
   * {@code obsolete}, in one atomic write. Need not be durable when it returns: a lost snapshot only makes
   * the next open replay more of the log.
   */
  void write(ProducerStateSnapshot snapshot, Collection<Long> obsolete);

  /**
   * Removes the snapshots at {@code offsets}, durably before returning: they describe batches the log no
   * longer holds, and must not come back to describe different batches written at the same offsets later.
   */
  void delete(Collection<Long> offsets);
}
