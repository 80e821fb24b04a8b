package dev.skein.broker.produce;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.skein.proto.v1.Compression;
import dev.skein.rpc.RecordCompression;
import java.io.IOException;
import java.io.InputStream;

/**
 * Checks a producer's RecordSet before the leader stores it, without building a message
 * object per record: it walks the protobuf encoding, counts the records, checks that they
 * are numbered 0, 1, 2, ... and finds the lowest and highest timestamps. A compressed set is
 * decompressed as a stream to do so, as Kafka's broker does, and stored still compressed.
 */
public final class RecordSetValidator {

  /** What the leader needs to stamp the batch header. */
  public record Summary(int recordCount, long firstTimestamp, long maxTimestamp) {}

  /** A batch the leader refuses, with a reason a producer's author can act on. */
  public static final class InvalidRecordsException extends Exception {
    InvalidRecordsException(String message) {
      super(message);
    }
  }

  /** Tags (field number << 3 | wire type) of the fields the scan reads. */
  private static final int RECORDS_TAG = 1 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int OFFSET_DELTA_TAG = 1 << 3 | WireFormat.WIRETYPE_VARINT;
  private static final int TIMESTAMP_TAG = 2 << 3 | WireFormat.WIRETYPE_VARINT;

  private RecordSetValidator() {}

  public static Summary validate(Compression codec, ByteString payload) throws InvalidRecordsException {
    if (codec == Compression.UNRECOGNIZED) {
      throw new InvalidRecordsException("unknown compression codec");
    }
    try (InputStream stream = RecordCompression.isNone(codec) ? null
        : RecordCompression.decompressing(codec, payload.newInput())) {
      CodedInputStream in = stream == null ? payload.newCodedInput() : CodedInputStream.newInstance(stream);
      in.setSizeLimit(Integer.MAX_VALUE);
      return scan(in);
    } catch (InvalidRecordsException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new InvalidRecordsException("records are not a valid " + codecName(codec) + " RecordSet: "
          + e.getMessage());
    }
  }

  private static Summary scan(CodedInputStream in) throws IOException, InvalidRecordsException {
    int count = 0;
    long first = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag != RECORDS_TAG) {
        in.skipField(tag);
        continue;
      }
      int length = in.readRawVarint32();
      int limit = in.pushLimit(length);
      int offsetDelta = 0;
      long timestamp = 0;
      while (true) {
        int field = in.readTag();
        if (field == 0) {
          break;
        }
        if (field == OFFSET_DELTA_TAG) {
          offsetDelta = in.readUInt32();
        } else if (field == TIMESTAMP_TAG) {
          timestamp = in.readInt64();
        } else {
          in.skipField(field);
        }
      }
      in.popLimit(limit);
      if (offsetDelta != count) {
        throw new InvalidRecordsException("record " + count + " of the batch has offset_delta " + offsetDelta
            + "; records must be numbered 0, 1, 2, ... in order");
      }
      count++;
      first = Math.min(first, timestamp);
      max = Math.max(max, timestamp);
    }
    if (count == 0) {
      throw new InvalidRecordsException("the batch has no records");
    }
    return new Summary(count, first, max);
  }

  private static String codecName(Compression codec) {
    return RecordCompression.isNone(codec) ? "uncompressed" : codec.name().substring("COMPRESSION_".length())
        .toLowerCase() + "-compressed";
  }
}
