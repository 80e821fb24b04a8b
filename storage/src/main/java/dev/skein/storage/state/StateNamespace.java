package dev.skein.storage.state;

/**
 * The kinds of state a broker keeps, one RocksDB column family each, so every kind has its own key space
 * and can be scanned, tuned or dropped on its own.
 *
 * <p>Add a constant here for a new kind; existing stores gain the column family on open.
 */
public enum StateNamespace {
  /** {@link PartitionCheckpoint}s keyed by partition key; see {@link PartitionCheckpointStore}. */
  PARTITION_CHECKPOINTS("partition-checkpoints"),
  /**
   * Each partition's leader-epoch cache keyed by partition key, written by the log package's
   * {@code LeaderEpochCheckpointStore}.
   */
  LEADER_EPOCHS("leader-epochs"),
  /**
   * Snapshots of each partition's idempotent-producer state, several per partition: keyed by partition key,
   * a zero byte and the big-endian offset the snapshot is valid at; written by the log package's
   * {@code ProducerStateCheckpointStore}.
   */
  PRODUCER_STATES("producer-states"),
  /**
   * Each compacted partition's cleaned-up-to offset (8 bytes, big-endian) keyed by partition key, written by
   * the log package's {@code CleanerCheckpointStore}.
   */
  CLEANER_CHECKPOINTS("cleaner-checkpoints");

  private final String columnFamilyName;

  StateNamespace(String columnFamilyName) {
    this.columnFamilyName = columnFamilyName;
  }

  public String columnFamilyName() {
    return columnFamilyName;
  }
}
