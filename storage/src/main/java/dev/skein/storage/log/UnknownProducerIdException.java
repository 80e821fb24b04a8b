package dev.skein.storage.log;

/**
 * A leader append from an idempotent producer the partition has no state for (never seen, expired, evicted
 * or truncated away) whose base_sequence is not 0, so the partition cannot tell whether batches before it
 * were lost (Kafka's UNKNOWN_PRODUCER_ID). Nothing was written; the producer should reset its sequence (or
 * get a new epoch) and resend.
 */
public final class UnknownProducerIdException extends LogException {
  private static final long serialVersionUID = 1L;

  private final long producerId;
  private final int baseSequence;

  public UnknownProducerIdException(long producerId, int producerEpoch, int baseSequence) {
    super("Producer " + producerId + " (epoch " + producerEpoch + ") is unknown to the partition, so its first"
        + " batch must have base sequence 0, not " + baseSequence + "; the batch was not appended");
    this.producerId = producerId;
    this.baseSequence = baseSequence;
  }

  public long producerId() {
    return producerId;
  }

  public int baseSequence() {
    return baseSequence;
  }
}
