package dev.skein.broker.rpc;

import com.google.protobuf.MessageLite;
import dev.skein.proto.v1.FetchedPartition;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A fetch response as the broker sends it: a few small fields encoded as usual, then per
 * partition its header fields followed by its batches as the raw bytes read from the log.
 *
 * <p>For consumers ({@link #consumer}) the stored layout already is the wire encoding of
 * {@code FetchedPartition.batches} (field 15), so the bytes follow the header as they are and
 * any protobuf library reads them as RecordBatch messages. For followers ({@link #replica})
 * the same bytes are wrapped in one {@code bytes entries = 15} field, so the follower gets
 * them back untouched and appends them to its own log byte for byte.
 *
 * @param prefix encoded top-level fields that come before the partitions
 * @param partitionsField field number of the repeated partition message
 * @param wrapEntries whether each partition's entries are wrapped in one bytes field 15
 */
public record FetchFrame(byte[] prefix, int partitionsField, boolean wrapEntries, List<Partition> partitions) {

  /** One partition: {@code header} must not contain field 15; {@code entries} holds stored batches. */
  public record Partition(MessageLite header, ByteBuffer entries) {

    public static Partition of(MessageLite header) {
      return new Partition(header, ByteBuffer.allocate(0));
    }

    public int batchBytes() {
      return entries.remaining();
    }
  }

  public FetchFrame {
    partitions = List.copyOf(partitions);
  }

  /** A {@code skein.v1.FetchResponse}. */
  public static FetchFrame consumer(List<Partition> partitions) {
    return new FetchFrame(new byte[0], 1, false, partitions);
  }

  /** A {@code skein.internal.v1.ReplicaFetchResponse}. */
  public static FetchFrame replica(long correlationId, List<Partition> partitions) {
    byte[] prefix = dev.skein.proto.internal.v1.ReplicaFetchResponse.newBuilder().setCorrelationId(correlationId)
        .setSessions(true).build().toByteArray();
    return new FetchFrame(prefix, 2, true, partitions);
  }

  public int batchBytes() {
    int total = 0;
    for (Partition p : partitions) {
      total += p.batchBytes();
    }
    return total;
  }

  /** The header of a consumer frame's partition {@code i}. */
  public FetchedPartition consumerHeader(int i) {
    return (FetchedPartition) partitions.get(i).header();
  }
}
