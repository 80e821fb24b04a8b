package dev.skein.storage.log;

import java.util.List;

/**
 * How far time and size retention move a log's start (cleanup.policy=delete): whole closed
 * segments from the old end, never the active one, never past a bound the caller gives (the
 * high watermark, so nothing a consumer may still be owed is removed before it is committed).
 * A segment goes when its newest record is older than retention.ms, or when the log without it
 * would still be at least retention.bytes. Only a prefix goes: a segment that must stay keeps
 * every later one too, so offsets below the new start are exactly the removed ones.
 */
public final class Retention {

  private Retention() {}

  /**
   * @param closed       the closed segments at or above the log start, oldest first
   * @param currentStart the log start offset now
   * @param logSizeBytes the whole log's size, active segment included
   * @param upperBound   the new start never passes this offset
   * @return the new log start offset; {@code currentStart} if nothing is due
   */
  public static long newLogStart(List<PartitionLog.SegmentSummary> closed, long currentStart, long logSizeBytes,
      LogConfig config, long nowMs, long upperBound) {
    if (!config.cleanupPolicy().contains(CleanupPolicy.DELETE)) {
      return currentStart;
    }
    long start = currentStart;
    long excess = config.retentionBytes() < 0 ? Long.MIN_VALUE : logSizeBytes - config.retentionBytes();
    for (PartitionLog.SegmentSummary segment : closed) {
      boolean expired = config.retentionMs() >= 0 && nowMs - segment.maxTimestampMs() > config.retentionMs();
      boolean overSize = excess >= segment.sizeInBytes();
      if (!(expired || overSize) || segment.nextOffset() > upperBound) {
        break;
      }
      start = Math.max(start, segment.nextOffset());
      if (config.retentionBytes() >= 0) {
        excess -= segment.sizeInBytes();
      }
    }
    return start;
  }
}
