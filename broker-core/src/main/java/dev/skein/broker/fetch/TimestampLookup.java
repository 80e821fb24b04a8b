package dev.skein.broker.fetch;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.skein.broker.replica.Partition;
import dev.skein.proto.v1.Compression;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordSet;
import dev.skein.rpc.RecordCompression;
import dev.skein.storage.log.BatchLayout;
import dev.skein.storage.log.StoredBatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * Finds the first committed offset whose record timestamp is at or after a time. The time
 * index narrows it to a batch; only that one batch is decoded to find the record, since
 * records inside a batch need not be in timestamp order.
 */
final class TimestampLookup {

  /** A found record's offset and timestamp. */
  record Found(long offset, long timestamp) {}

  Optional<Found> find(Partition partition, long timestamp) {
    long highWatermark = partition.highWatermark();
    Optional<StoredBatch> candidate = partition.findFirstBatchAtOrAfterTimestamp(timestamp);
    if (candidate.isEmpty() || candidate.get().baseOffset() >= highWatermark) {
      return Optional.empty();
    }
    StoredBatch batch = candidate.get();
    if (batch.timestampType() == BatchLayout.TIMESTAMP_TYPE_LOG_APPEND_TIME) {
      return Optional.of(new Found(batch.baseOffset(), batch.maxTimestamp()));
    }
    try {
      Compression codec = Compression.forNumber(batch.compression());
      ByteString plain = RecordCompression.decompress(codec == null ? Compression.COMPRESSION_NONE : codec,
          UnsafeByteOperations.unsafeWrap(batch.payload()));
      for (Record record : RecordSet.parseFrom(plain).getRecordsList()) {
        long offset = batch.baseOffset() + record.getOffsetDelta();
        if (record.getTimestampMs() >= timestamp && offset < highWatermark) {
          return Optional.of(new Found(offset, record.getTimestampMs()));
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot decode the batch at offset " + batch.baseOffset(), e);
    }
  }
}
