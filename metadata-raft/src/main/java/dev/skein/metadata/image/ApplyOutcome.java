package dev.skein.metadata.image;

/** What applying one batch of records to an image gave. */
public sealed interface ApplyOutcome {

  /** The image the next batch applies to. */
  ClusterImage image();

  /**
   * Every record's precondition held: {@code image} has all of them applied.
   *
   * @param delta what the batch changed, as {@link MetadataDelta#between} would find it, but
   *     found from the records, at a cost that does not grow with the image
   */
  record Applied(ClusterImage image, MetadataDelta delta) implements ApplyOutcome {}

  /**
   * A precondition failed, so none of the batch's records was applied; {@code image} is the
   * previous image, moved to the batch's offset.
   */
  record Rejected(ClusterImage image, String reason) implements ApplyOutcome {}
}
