package dev.skein.client;

/**
 * A committed position: the offset of the next record to consume, the leader epoch of the last
 * record consumed (-1 if unknown) and free text kept with it.
 */
public record OffsetAndMetadata(long offset, int leaderEpoch, String metadata) {

  public OffsetAndMetadata {
    if (offset < 0) {
      throw new IllegalArgumentException("offset must be >= 0, got " + offset);
    }
    metadata = metadata == null ? "" : metadata;
  }

  public static OffsetAndMetadata of(long offset) {
    return new OffsetAndMetadata(offset, -1, "");
  }
}
