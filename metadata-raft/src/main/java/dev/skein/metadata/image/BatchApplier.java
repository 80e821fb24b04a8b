package dev.skein.metadata.image;

import dev.skein.proto.internal.v1.MetadataRecord;
import java.util.List;

/**
 * Applies a batch of metadata records to an image, all or nothing.
 *
 * <p>This is the one place where the metadata log turns into images, on every member, for log
 * entries as well as for snapshots and for the controller's own dry runs. It is deterministic
 * and never throws: a batch whose preconditions fail (a stale compare-and-set, a topic name
 * taken by a batch committed just before) is skipped the same way everywhere.
 */
public final class BatchApplier {

  private BatchApplier() {}

  /**
   * @param offset the Raft index the batch was committed at; the resulting image reflects it,
   *     and a broker registered by the batch gets it as its epoch
   */
  public static ApplyOutcome apply(ClusterImage image, List<MetadataRecord> records, long offset) {
    ImageBuilder builder = new ImageBuilder(image, offset);
    for (MetadataRecord record : records) {
      try {
        builder.replay(record);
      } catch (RecordRejectedException | RuntimeException e) {
        // RuntimeException too: a record that trips a check in an image constructor (or an
        // overflow) is as deterministic as a failed precondition, and must not stop the member.
        String reason = e instanceof RecordRejectedException ? e.getMessage() : e.toString();
        return new ApplyOutcome.Rejected(image.withOffset(offset), reason);
      }
    }
    try {
      ClusterImage next = builder.build();
      return new ApplyOutcome.Applied(next, MetadataDelta.between(image, next, builder.touchedPartitions()));
    } catch (RuntimeException e) {
      return new ApplyOutcome.Rejected(image.withOffset(offset), e.toString());
    }
  }
}
