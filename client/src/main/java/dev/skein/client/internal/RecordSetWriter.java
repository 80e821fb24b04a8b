package dev.skein.client.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import dev.skein.client.Header;
import dev.skein.proto.v1.Compression;
import dev.skein.rpc.RecordCompression;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Builds the bytes of a {@code skein.v1.RecordSet} one record at a time, writing the protobuf
 * encoding straight into one growing array (no message objects per record).
 */
public final class RecordSetWriter {

  private static final int RECORD_SET_RECORDS_FIELD = 1;
  private static final int OFFSET_DELTA = 1;
  private static final int TIMESTAMP = 2;
  private static final int KEY = 3;
  private static final int VALUE = 4;
  private static final int HEADERS = 5;
  private static final int HEADER_KEY = 1;
  private static final int HEADER_VALUE = 2;

  private byte[] buffer;
  private int size;
  private int recordCount;

  public RecordSetWriter(int initialCapacity) {
    buffer = new byte[Math.max(64, initialCapacity)];
  }

  /** A writer that starts in {@code buffer} (from a pool); it grows into a new array only if a record needs it. */
  RecordSetWriter(byte[] buffer) {
    this.buffer = buffer;
  }

  /** The array the records are in, to hand back to a pool once nothing refers to it any more. */
  byte[] buffer() {
    return buffer;
  }

  /** Bytes one record adds to a RecordSet, framing included. */
  public static int encodedSize(int offsetDelta, long timestamp, byte[] key, byte[] value, List<Header> headers) {
    int recordSize = recordSize(offsetDelta, timestamp, key, value, headers);
    return CodedOutputStream.computeTagSize(RECORD_SET_RECORDS_FIELD)
        + CodedOutputStream.computeUInt32SizeNoTag(recordSize) + recordSize;
  }

  /** Appends a record numbered with the next offset delta and returns that delta. */
  public int append(long timestamp, byte[] key, byte[] value, List<Header> headers) {
    int delta = recordCount;
    int recordSize = recordSize(delta, timestamp, key, value, headers);
    int total = CodedOutputStream.computeTagSize(RECORD_SET_RECORDS_FIELD)
        + CodedOutputStream.computeUInt32SizeNoTag(recordSize) + recordSize;
    ensureCapacity(size + total);
    CodedOutputStream out = CodedOutputStream.newInstance(buffer, size, total);
    try {
      out.writeTag(RECORD_SET_RECORDS_FIELD, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      out.writeUInt32NoTag(recordSize);
      if (delta != 0) {
        out.writeUInt32(OFFSET_DELTA, delta);
      }
      if (timestamp != 0) {
        out.writeInt64(TIMESTAMP, timestamp);
      }
      if (key != null) {
        out.writeByteArray(KEY, key);
      }
      if (value != null) {
        out.writeByteArray(VALUE, value);
      }
      for (Header header : headers) {
        out.writeTag(HEADERS, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(headerSize(header));
        byte[] headerKey = header.key().getBytes(StandardCharsets.UTF_8);
        if (headerKey.length > 0) {
          out.writeByteArray(HEADER_KEY, headerKey);
        }
        if (header.value() != null) {
          out.writeByteArray(HEADER_VALUE, header.value());
        }
      }
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("record encoding overflowed its computed size", e);
    }
    size += total;
    recordCount++;
    return delta;
  }

  public int sizeInBytes() {
    return size;
  }

  public int recordCount() {
    return recordCount;
  }

  /** The RecordSet bytes compressed with {@code codec}. The writer must not be used afterwards. */
  public ByteString payload(Compression codec) {
    ByteString plain = UnsafeByteOperations.unsafeWrap(buffer, 0, size);
    return RecordCompression.compress(codec, plain);
  }

  private void ensureCapacity(int needed) {
    if (needed > buffer.length) {
      buffer = Arrays.copyOf(buffer, Math.max(needed, buffer.length * 2));
    }
  }

  private static int recordSize(int offsetDelta, long timestamp, byte[] key, byte[] value, List<Header> headers) {
    int n = 0;
    if (offsetDelta != 0) {
      n += CodedOutputStream.computeUInt32Size(OFFSET_DELTA, offsetDelta);
    }
    if (timestamp != 0) {
      n += CodedOutputStream.computeInt64Size(TIMESTAMP, timestamp);
    }
    if (key != null) {
      n += CodedOutputStream.computeByteArraySize(KEY, key);
    }
    if (value != null) {
      n += CodedOutputStream.computeByteArraySize(VALUE, value);
    }
    for (Header header : headers) {
      int h = headerSize(header);
      n += CodedOutputStream.computeTagSize(HEADERS) + CodedOutputStream.computeUInt32SizeNoTag(h) + h;
    }
    return n;
  }

  private static int headerSize(Header header) {
    int n = 0;
    int keyLength = header.key().getBytes(StandardCharsets.UTF_8).length;
    if (keyLength > 0) {
      n += CodedOutputStream.computeTagSize(HEADER_KEY) + CodedOutputStream.computeUInt32SizeNoTag(keyLength)
          + keyLength;
    }
    if (header.value() != null) {
      n += CodedOutputStream.computeByteArraySize(HEADER_VALUE, header.value());
    }
    return n;
  }
}
