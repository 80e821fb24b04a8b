package dev.skein.storage.state;

/**
 * The kinds of state a broker keeps, one RocksDB column family each, so every kind has its own key space
 * and can be scanned, tuned or dropped on its own.
 *
 * <p>Reserved for later issues (add a constant here; existing stores gain the column family on open):
 * {@code producer-states} (idempotent producer state per partition).
 */
public enum StateNamespace {
  /** {@link PartitionCheckpoint}s keyed by partition key; see {@link PartitionCheckpointStore}. */
  PARTITION_CHECKPOINTS("partition-checkpoints"),
  /**
   * Each partition's leader-epoch cache keyed by partition key, written by the log package's
   * {@code LeaderEpochCheckpointStore}.
   */
  LEADER_EPOCHS("leader-epochs");

  private final String columnFamilyName;

  StateNamespace(String columnFamilyName) {
    this.columnFamilyName = columnFamilyName;
  }

  public String columnFamilyName() {
    return columnFamilyName;
  }
}
