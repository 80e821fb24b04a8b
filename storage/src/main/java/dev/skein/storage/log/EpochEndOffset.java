package dev.skein.storage.log;

/**
 * The answer to "where does leader epoch E end in your log?" (Kafka's OffsetsForLeaderEpoch, KIP-101):
 * the largest epoch at or below E that the log knows, and the offset where the next known epoch starts
 * (the log end offset for the latest epoch). {@link #UNDEFINED} when the log knows no such epoch.
 *
 * @param epoch     the epoch found, or {@link #UNDEFINED_EPOCH}
 * @param endOffset the first offset after it, or {@link #UNDEFINED_OFFSET}
 */
public record EpochEndOffset(int epoch, long endOffset) {

  public static final int UNDEFINED_EPOCH = -1;
  public static final long UNDEFINED_OFFSET = -1;
  public static final EpochEndOffset UNDEFINED = new EpochEndOffset(UNDEFINED_EPOCH, UNDEFINED_OFFSET);

  public boolean isUndefined() {
    return epoch == UNDEFINED_EPOCH || endOffset == UNDEFINED_OFFSET;
  }
}
