package dev.skein.broker.rpc;

import dev.skein.proto.v1.FetchedPartition;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A FetchResponse as the broker sends it: each partition's small header fields as a message,
 * followed by its batches as the raw bytes read from the log. The stored batch layout is the
 * wire encoding of {@code FetchedPartition.batches} (field 15), so the two concatenate into a
 * valid FetchedPartition without the batches being decoded or copied into message objects.
 */
public record FetchFrame(List<Partition> partitions) {

  /** One partition: {@code header} must not contain batches; {@code batches} holds stored entries. */
  public record Partition(FetchedPartition header, ByteBuffer batches) {

    public static Partition of(FetchedPartition header) {
      return new Partition(header, ByteBuffer.allocate(0));
    }

    public int batchBytes() {
      return batches.remaining();
    }
  }

  public FetchFrame {
    partitions = List.copyOf(partitions);
  }

  public int batchBytes() {
    int total = 0;
    for (Partition p : partitions) {
      total += p.batchBytes();
    }
    return total;
  }
}
