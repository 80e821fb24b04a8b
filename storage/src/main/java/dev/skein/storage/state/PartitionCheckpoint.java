package dev.skein.storage.state;

/**
 * What a partition log needs to remember across restarts, checkpointed in the {@link StateStore}.
 *
 * @param recoveryPoint  every batch below this offset was fsynced; recovery re-validates from here on
 * @param logStartOffset the first offset the log still serves
 * @param highWatermark  the last high watermark the broker set
 */
public record PartitionCheckpoint(long recoveryPoint, long logStartOffset, long highWatermark) {

  /** For a partition with no checkpoint: trust nothing, serve from the first segment. */
  public static final PartitionCheckpoint NONE = new PartitionCheckpoint(0, 0, 0);

  public PartitionCheckpoint {
    if (recoveryPoint < 0 || logStartOffset < 0 || highWatermark < 0) {
      throw new IllegalArgumentException("Checkpoint offsets must not be negative: recoveryPoint "
          + recoveryPoint + ", logStartOffset " + logStartOffset + ", highWatermark " + highWatermark);
    }
  }
}
