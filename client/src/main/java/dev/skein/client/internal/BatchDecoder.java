package dev.skein.client.internal;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.Header;
import dev.skein.proto.v1.Compression;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.TimestampType;
import dev.skein.rpc.RecordCompression;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a fetched RecordBatch into consumer records: decompress, parse, number, skip what is
 * below the position.
 *
 * <p>The record set is read field by field rather than through the generated {@code RecordSet}
 * and {@code Record} classes: those build a builder, a message, an unknown-field set and a
 * ByteString view per record before the key and value are copied out, which made parsing the
 * largest cost of a consumer in a profile. Reading the wire format directly copies each key,
 * value and header value once, from the batch's bytes into the array the ConsumerRecord keeps.
 * The format is the one in records.proto; fields this client does not know are skipped, as a
 * generated parser would.
 */
public final class BatchDecoder {

  // Field numbers of skein.v1.RecordSet, Record and RecordHeader (records.proto).
  private static final int RECORD_SET_RECORDS = 1;
  private static final int RECORD_OFFSET_DELTA = 1;
  private static final int RECORD_TIMESTAMP_MS = 2;
  private static final int RECORD_KEY = 3;
  private static final int RECORD_VALUE = 4;
  private static final int RECORD_HEADERS = 5;
  private static final int HEADER_KEY = 1;
  private static final int HEADER_VALUE = 2;

  private BatchDecoder() {}

  /** Adds the batch's records at or above {@code fromOffset} to {@code out}. */
  public static void decode(String topic, int partition, RecordBatch batch, long fromOffset,
      List<ConsumerRecord> out) throws IOException {
    if (batch.getBaseOffset() + batch.getLastOffsetDelta() < fromOffset) {
      return;
    }
    boolean logAppendTime = batch.getTimestampType() == TimestampType.TIMESTAMP_TYPE_LOG_APPEND_TIME;
    TimestampType type = logAppendTime ? TimestampType.TIMESTAMP_TYPE_LOG_APPEND_TIME
        : TimestampType.TIMESTAMP_TYPE_CREATE_TIME;
    CodedInputStream in = recordsInput(batch);
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        return;
      }
      if (tag != ((RECORD_SET_RECORDS << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
        in.skipField(tag);
        continue;
      }
      int limit = in.pushLimit(in.readRawVarint32());
      ConsumerRecord record = readRecord(in, topic, partition, batch, logAppendTime, type, fromOffset);
      in.popLimit(limit);
      if (record != null) {
        out.add(record);
      }
    }
  }

  /** One Record message, up to the current limit; null when it lies below {@code fromOffset}. */
  private static ConsumerRecord readRecord(CodedInputStream in, String topic, int partition, RecordBatch batch,
      boolean logAppendTime, TimestampType type, long fromOffset) throws IOException {
    int offsetDelta = 0;
    long timestamp = 0;
    byte[] key = null;
    byte[] value = null;
    List<Header> headers = null;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      switch (tag) {
        case (RECORD_OFFSET_DELTA << 3) | WireFormat.WIRETYPE_VARINT -> offsetDelta = in.readUInt32();
        case (RECORD_TIMESTAMP_MS << 3) | WireFormat.WIRETYPE_VARINT -> timestamp = in.readInt64();
        case (RECORD_KEY << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> key = in.readByteArray();
        case (RECORD_VALUE << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> value = in.readByteArray();
        case (RECORD_HEADERS << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          if (headers == null) {
            headers = new ArrayList<>(2);
          }
          int limit = in.pushLimit(in.readRawVarint32());
          headers.add(readHeader(in));
          in.popLimit(limit);
        }
        default -> in.skipField(tag);
      }
    }
    long offset = batch.getBaseOffset() + Integer.toUnsignedLong(offsetDelta);
    if (offset < fromOffset) {
      return null;
    }
    return new ConsumerRecord(topic, partition, offset, logAppendTime ? batch.getMaxTimestampMs() : timestamp,
        type, key, value, headers == null ? List.of() : headers, batch.getLeaderEpoch());
  }

  private static Header readHeader(CodedInputStream in) throws IOException {
    String key = "";
    byte[] value = null;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        return new Header(key, value);
      }
      switch (tag) {
        case (HEADER_KEY << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> key = in.readStringRequireUtf8();
        case (HEADER_VALUE << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> value = in.readByteArray();
        default -> in.skipField(tag);
      }
    }
  }

  /** The batch's record set, decompressed when the batch is compressed. */
  private static CodedInputStream recordsInput(RecordBatch batch) throws IOException {
    if (batch.getCompression() == Compression.COMPRESSION_NONE
        || batch.getCompression() == Compression.COMPRESSION_UNSPECIFIED) {
      return sizeUnlimited(batch.getRecords().newCodedInput());
    }
    byte[] plain;
    try (InputStream in = RecordCompression.decompressing(batch.getCompression(), batch.getRecords().newInput())) {
      plain = in.readAllBytes();
    } catch (IOException e) {
      throw new InvalidProtocolBufferException("cannot decompress a " + batch.getCompression() + " batch: " + e.getMessage());
    }
    return sizeUnlimited(UnsafeByteOperations.unsafeWrap(plain).newCodedInput());
  }

  private static CodedInputStream sizeUnlimited(CodedInputStream in) {
    in.setSizeLimit(Integer.MAX_VALUE);
    return in;
  }

  /** The offset after the batch's last record: where a consumer continues. */
  public static long nextOffset(RecordBatch batch) {
    return batch.getBaseOffset() + batch.getLastOffsetDelta() + 1;
  }
}
