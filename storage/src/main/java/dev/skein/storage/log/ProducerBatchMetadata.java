package dev.skein.storage.log;

/**
 * What producer state remembers of one appended batch of an idempotent producer: enough to recognize a
 * retry of it and to answer that retry with the offsets the batch got.
 *
 * @param firstSequence the batch's base_sequence
 * @param lastSequence  the sequence of its last record (wrapping past {@link Integer#MAX_VALUE} to 0)
 * @param firstOffset   its base offset in the log
 * @param lastOffset    its last offset in the log
 * @param maxTimestamp  its max_timestamp as stored (the append time for LOG_APPEND_TIME topics)
 */
public record ProducerBatchMetadata(int firstSequence, int lastSequence, long firstOffset, long lastOffset,
                  long maxTimestamp) {

  public ProducerBatchMetadata {
    if (firstSequence < 0 || lastSequence < 0 || firstOffset < 0 || lastOffset < firstOffset) {
      throw new IllegalArgumentException("Invalid producer batch: sequences " + firstSequence + ".."
          + lastSequence + ", offsets " + firstOffset + ".." + lastOffset);
    }
  }

  /**
   * {@code sequence + increment}, wrapping past {@link Integer#MAX_VALUE} to 0 as Kafka's sequences do.
   * Both arguments must not be negative.
   */
  public static int incrementSequence(int sequence, int increment) {
    if (sequence > Integer.MAX_VALUE - increment) {
      return increment - (Integer.MAX_VALUE - sequence) - 1;
    }
    return sequence + increment;
  }
}
