package dev.skein.broker.fetch;

import dev.skein.broker.BrokerException;
import dev.skein.broker.replica.Partition;
import dev.skein.broker.replica.ReplicaManager;
import dev.skein.broker.rpc.Errors;
import dev.skein.broker.rpc.FetchFrame;
import dev.skein.proto.v1.FetchedPartition;
import dev.skein.proto.v1.PartitionPosition;
import dev.skein.rpc.ErrorReason;
import dev.skein.storage.log.LogReadResult;
import dev.skein.storage.log.OffsetOutOfRangeException;
import dev.skein.storage.log.ReadBuffers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads several partitions' committed batches within a byte budget, as one fetch response.
 * Shared by Fetch and Subscribe.
 */
public final class PartitionReads {

  /** Kafka's max.partition.fetch.bytes default. */
  public static final int DEFAULT_PARTITION_MAX_BYTES = 1024 * 1024;

  /** One partition's outcome: its frame part, and where a reader continues (or -1 after an error). */
  public record Read(FetchFrame.Partition frame, long nextOffset, boolean failed) {}

  /** All partitions' outcomes and the batch bytes gathered. */
  public record Result(List<Read> reads, int bytes, boolean anyError) {
    public FetchFrame frame() {
      return FetchFrame.consumer(reads.stream().map(Read::frame).toList());
    }
  }

  private final ReplicaManager replicas;
  private final Errors errors;

  public PartitionReads(ReplicaManager replicas, Errors errors) {
    this.replicas = replicas;
    this.errors = errors;
  }

  public Result read(List<PartitionPosition> positions, int maxBytes) {
    return read(positions, maxBytes, ReadBuffers.FRESH);
  }

  /** {@link #read(List, int)} into buffers from {@code buffers}. */
  public Result read(List<PartitionPosition> positions, int maxBytes, ReadBuffers buffers) {
    List<Read> reads = new ArrayList<>(positions.size());
    int remaining = maxBytes;
    int total = 0;
    boolean anyError = false;
    for (PartitionPosition position : positions) {
      Read read = readOne(position, remaining, total == 0, buffers);
      reads.add(read);
      total += read.frame().batchBytes();
      remaining = Math.max(0, remaining - read.frame().batchBytes());
      anyError |= read.failed();
    }
    return new Result(reads, total, anyError);
  }

  private Read readOne(PartitionPosition position, int remaining, boolean firstWithData, ReadBuffers buffers) {
    FetchedPartition.Builder header = FetchedPartition.newBuilder()
        .setTopic(position.getTopic()).setPartition(position.getPartition());
    try {
      Partition partition = replicas.leaderPartition(position.getTopic(), position.getPartition());
      if (position.hasCurrentLeaderEpoch()) {
        partition.requireLeader(position.getCurrentLeaderEpoch());
      }
      long offset = position.getOffset();
      if (offset < 0) {
        throw outOfRange(partition, offset);
      }
      int partitionMax = position.getMaxBytes() > 0 ? position.getMaxBytes() : DEFAULT_PARTITION_MAX_BYTES;
      int budget = Math.min(partitionMax, remaining);
      LogReadResult result;
      try {
        result = partition.read(offset, budget, firstWithData, buffers);
      } catch (OffsetOutOfRangeException e) {
        throw outOfRange(partition, offset);
      }
      header.setHighWatermark(result.highWatermark()).setLogStartOffset(result.logStartOffset());
      long next = result.isEmpty() ? offset : Math.max(offset, result.nextOffset());
      return new Read(new FetchFrame.Partition(header.build(), result.entries()), next, false);
    } catch (RuntimeException e) {
      header.setError(errors.toDetail(e, "fetch from " + position.getTopic() + "-" + position.getPartition()));
      return new Read(FetchFrame.Partition.of(header.build()), -1, true);
    }
  }

  private static BrokerException outOfRange(Partition partition, long offset) {
    long start = partition.logStartOffset();
    long end = partition.highWatermark();
    return BrokerException.of(ErrorReason.OFFSET_OUT_OF_RANGE, "offset " + offset + " is out of range for "
        + partition.id() + ": its records run from " + start + " to " + end + " (exclusive)",
        Map.of("log_start_offset", Long.toString(start), "high_watermark", Long.toString(end)));
  }
}
