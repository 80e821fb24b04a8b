package dev.skein.client.internal;

import com.google.protobuf.CodedInputStream;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.Header;
import dev.skein.proto.v1.Compression;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordHeader;
import dev.skein.proto.v1.RecordSet;
import dev.skein.proto.v1.TimestampType;
import dev.skein.rpc.RecordCompression;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/** Turns a fetched RecordBatch into consumer records: decompress, parse, number, skip what is below the position. */
public final class BatchDecoder {

  private BatchDecoder() {}

  /** Adds the batch's records at or above {@code fromOffset} to {@code out}. */
  public static void decode(String topic, int partition, RecordBatch batch, long fromOffset,
      List<ConsumerRecord> out) throws IOException {
    if (batch.getBaseOffset() + batch.getLastOffsetDelta() < fromOffset) {
      return;
    }
    RecordSet set = RecordSet.parseFrom(recordsInput(batch));
    boolean logAppendTime = batch.getTimestampType() == TimestampType.TIMESTAMP_TYPE_LOG_APPEND_TIME;
    TimestampType type = logAppendTime ? TimestampType.TIMESTAMP_TYPE_LOG_APPEND_TIME
        : TimestampType.TIMESTAMP_TYPE_CREATE_TIME;
    for (Record r : set.getRecordsList()) {
      long offset = batch.getBaseOffset() + r.getOffsetDelta();
      if (offset < fromOffset) {
        continue;
      }
      List<Header> headers = r.getHeadersCount() == 0 ? List.of() : headers(r);
      out.add(new ConsumerRecord(topic, partition, offset,
          logAppendTime ? batch.getMaxTimestampMs() : r.getTimestampMs(), type,
          r.hasKey() ? r.getKey().toByteArray() : null,
          r.hasValue() ? r.getValue().toByteArray() : null,
          headers, batch.getLeaderEpoch()));
    }
  }

  /** An immutable list, which ConsumerRecord keeps as it is rather than copying again. */
  private static List<Header> headers(Record r) {
    Header[] headers = new Header[r.getHeadersCount()];
    for (int i = 0; i < headers.length; i++) {
      RecordHeader h = r.getHeaders(i);
      headers[i] = new Header(h.getKey(), h.hasValue() ? h.getValue().toByteArray() : null);
    }
    return List.of(headers);
  }

  /**
   * The batch's record set, read so that keys, values and header values are views of the
   * (decompressed) bytes until each is copied once into its ConsumerRecord.
   */
  private static CodedInputStream recordsInput(RecordBatch batch) throws IOException {
    CodedInputStream coded;
    if (batch.getCompression() == Compression.COMPRESSION_NONE
        || batch.getCompression() == Compression.COMPRESSION_UNSPECIFIED) {
      coded = batch.getRecords().newCodedInput();
    } else {
      byte[] plain;
      try (InputStream in = RecordCompression.decompressing(batch.getCompression(), batch.getRecords().newInput())) {
        plain = in.readAllBytes();
      }
      coded = CodedInputStream.newInstance(plain);
    }
    coded.enableAliasing(true);
    coded.setSizeLimit(Integer.MAX_VALUE);
    return coded;
  }

  /** The offset after the batch's last record: where a consumer continues. */
  public static long nextOffset(RecordBatch batch) {
    return batch.getBaseOffset() + batch.getLastOffsetDelta() + 1;
  }
}
