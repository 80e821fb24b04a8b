package dev.skein.storage.log;

/**
 * What an append wrote.
 *
 * @param firstOffset       base offset of the first batch appended
 * @param lastOffset        last offset of the last batch appended
 * @param maxTimestamp      largest max_timestamp among the batches, as stored
 * @param logAppendTimeMs   the time the leader stamped if the batch uses LOG_APPEND_TIME, else {@link #NO_TIMESTAMP}
 * @param segmentBaseOffset base offset of the segment the first batch went to
 * @param position          byte position of the first batch in that segment
 * @param sizeInBytes       bytes appended in all
 */
public record LogAppendResult(long firstOffset, long lastOffset, long maxTimestamp, long logAppendTimeMs,
               long segmentBaseOffset, int position, long sizeInBytes) {

  public static final long NO_TIMESTAMP = -1;
}
