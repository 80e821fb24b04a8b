package dev.skein.storage.log;

/**
 * A leader append from an idempotent producer in an epoch older than the one the partition knows for its
 * producer id: a newer instance of the producer has taken over (Kafka's INVALID_PRODUCER_EPOCH). Nothing was
 * written; the old producer must stop.
 */
public final class InvalidProducerEpochException extends LogException {
  private static final long serialVersionUID = 1L;

  private final long producerId;
  private final int producerEpoch;
  private final int currentEpoch;

  public InvalidProducerEpochException(long producerId, int producerEpoch, int currentEpoch) {
    super("Producer " + producerId + " sent epoch " + producerEpoch + " but the partition already holds epoch "
        + currentEpoch + " of it; the batch was not appended");
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.currentEpoch = currentEpoch;
  }

  public long producerId() {
    return producerId;
  }

  public int producerEpoch() {
    return producerEpoch;
  }

  public int currentEpoch() {
    return currentEpoch;
  }
}
