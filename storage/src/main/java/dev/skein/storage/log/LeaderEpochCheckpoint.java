package dev.skein.storage.log;

import java.util.List;
import java.util.Optional;

/**
 * Where one partition's {@link LeaderEpochCache} is kept between runs. The {@link LogManager} keeps it in
 * the state store ({@code StateNamespace.LEADER_EPOCHS}); {@link InMemoryLeaderEpochCheckpoint} keeps it
 * in memory for tests and for logs opened without persistence.
 */
public interface LeaderEpochCheckpoint {

  /**
   * The entries last written. Empty if none were ever written, or if what is stored cannot be read: then
   * the log rebuilds the cache from its batch headers. An empty <em>list</em> means "no epochs", which is
   * different.
   */
  Optional<List<EpochEntry>> read();

  /** Replaces the stored entries. Durable when it returns: the log relies on it being written ahead of data. */
  void write(List<EpochEntry> entries);
}
