package dev.skein.storage.log;

/**
 * One entry of a {@link LeaderEpochCache}: the first offset written in a leader epoch.
 *
 * @param epoch       the leader epoch, not negative
 * @param startOffset the offset of the first batch written in it (or, for a leader that has written
 *                    nothing yet, its log end offset when it took over), not negative
 */
public record EpochEntry(int epoch, long startOffset) {

  public EpochEntry {
    if (epoch < 0 || startOffset < 0) {
      throw new IllegalArgumentException("Invalid leader epoch entry: epoch " + epoch + ", start offset "
          + startOffset);
    }
  }
}
