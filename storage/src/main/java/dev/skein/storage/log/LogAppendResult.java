package dev.skein.storage.log;

/**
 * What an append wrote, or, for a retried batch of an idempotent producer, what the original append wrote.
 *
 * @param firstOffset       base offset of the first batch appended
 * @param lastOffset        last offset of the last batch appended
 * @param maxTimestamp      largest max_timestamp among the batches, as stored
 * @param logAppendTimeMs   the time the leader stamped if the batch uses LOG_APPEND_TIME, else {@link #NO_TIMESTAMP}
 * @param segmentBaseOffset base offset of the segment the first batch went to; -1 for a duplicate
 * @param position          byte position of the first batch in that segment; -1 for a duplicate
 * @param sizeInBytes       bytes appended in all; 0 for a duplicate
 * @param duplicate         whether the batch repeated one of its producer's last batches, so nothing was
 *                          written and the offsets and timestamps are those of that earlier batch
 */
public record LogAppendResult(long firstOffset, long lastOffset, long maxTimestamp, long logAppendTimeMs,
               long segmentBaseOffset, int position, long sizeInBytes, boolean duplicate) {

  public static final long NO_TIMESTAMP = -1;

  /** The result of an append that wrote its batches. */
  public LogAppendResult(long firstOffset, long lastOffset, long maxTimestamp, long logAppendTimeMs,
               long segmentBaseOffset, int position, long sizeInBytes) {
    this(firstOffset, lastOffset, maxTimestamp, logAppendTimeMs, segmentBaseOffset, position, sizeInBytes, false);
  }

  /**
   * The answer to a retry of {@code original}: its offsets and timestamp, nothing written.
   *
   * @param logAppendTime whether the batch uses LOG_APPEND_TIME (then the original's max_timestamp is the
   *                      time the leader stamped)
   */
  static LogAppendResult duplicateOf(ProducerBatchMetadata original, boolean logAppendTime) {
    return new LogAppendResult(original.firstOffset(), original.lastOffset(), original.maxTimestamp(),
        logAppendTime ? original.maxTimestamp() : NO_TIMESTAMP, -1, -1, 0, true);
  }
}
