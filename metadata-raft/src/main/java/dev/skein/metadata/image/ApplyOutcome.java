package dev.skein.metadata.image;

/** What applying one batch of records to an image gave. */
public sealed interface ApplyOutcome {

  /** The image the next batch applies to. */
  ClusterImage image();

  /** Every record's precondition held: {@code image} has all of them applied. */
  record Applied(ClusterImage image) implements ApplyOutcome {}

  /**
   * A precondition failed, so none of the batch's records was applied; {@code image} is the
   * previous image, moved to the batch's offset.
   */
  record Rejected(ClusterImage image, String reason) implements ApplyOutcome {}
}
