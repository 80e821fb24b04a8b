package dev.skein.storage.log;

/**
 * A leader append from an idempotent producer whose base_sequence is neither the next one expected nor
 * that of one of its last {@link ProducerStateEntry#MAX_BATCHES} batches (Kafka's OUT_OF_ORDER_SEQUENCE_NUMBER):
 * a batch was lost in between, or the retry is too old to be recognized. Nothing was written.
 */
public final class OutOfOrderSequenceException extends LogException {
  private static final long serialVersionUID = 1L;

  private final long producerId;
  private final int producerEpoch;
  private final int expectedSequence;
  private final int receivedSequence;

  public OutOfOrderSequenceException(long producerId, int producerEpoch, int expectedSequence,
                     int receivedSequence) {
    super("Out of order sequence from producer " + producerId + " (epoch " + producerEpoch + "): expected "
        + expectedSequence + ", received " + receivedSequence + "; the batch was not appended");
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.expectedSequence = expectedSequence;
    this.receivedSequence = receivedSequence;
  }

  public long producerId() {
    return producerId;
  }

  public int producerEpoch() {
    return producerEpoch;
  }

  /** The base_sequence the partition expected. */
  public int expectedSequence() {
    return expectedSequence;
  }

  /** The base_sequence the batch carried. */
  public int receivedSequence() {
    return receivedSequence;
  }
}
