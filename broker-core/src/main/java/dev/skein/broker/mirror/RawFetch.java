package dev.skein.broker.mirror;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.ErrorDetail;
import dev.skein.proto.v1.FetchRequest;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The public {@code ConsumerService.Fetch} call with the response kept as bytes. A Skein broker
 * sends each stored batch as one {@code FetchedPartition.batches} field exactly as it lies in
 * its log (see ARCHITECTURE.md, "Records on the wire and on disk"), so the bytes of those fields
 * are the stored batches themselves: a mirror appends them without decoding a record.
 */
final class RawFetch {

  static final MethodDescriptor<FetchRequest, byte[]> METHOD = ConsumerServiceGrpc.getFetchMethod().toBuilder(
      ProtoUtils.marshaller(FetchRequest.getDefaultInstance()), new BytesMarshaller()).build();

  private static final int PARTITIONS_FIELD = 1;
  private static final int BATCHES_FIELD = 15;

  /** One partition of a fetch response; {@code entries} are the stored batches, in order. */
  record Fetched(String topic, int partition, long highWatermark, long logStartOffset, ErrorDetail error,
      ByteBuffer entries) {

    boolean hasError() {
      return error != null && !error.getReason().isEmpty();
    }
  }

  private RawFetch() {}

  static List<Fetched> parse(byte[] response) {
    try {
      List<Fetched> out = new ArrayList<>();
      CodedInputStream in = CodedInputStream.newInstance(response);
      while (!in.isAtEnd()) {
        int tag = in.readTag();
        if (WireFormat.getTagFieldNumber(tag) == PARTITIONS_FIELD
            && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          int length = in.readRawVarint32();
          int start = in.getTotalBytesRead();
          out.add(parsePartition(response, start, length));
          in.skipRawBytes(length);
        } else {
          in.skipField(tag);
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("malformed fetch response from the mirror source", e);
    }
  }

  private static Fetched parsePartition(byte[] bytes, int start, int length) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes, start, length);
    String topic = "";
    int partition = 0;
    long highWatermark = -1;
    long logStart = -1;
    ErrorDetail error = null;
    int entriesStart = -1;
    int entriesEnd = -1;
    byte[] copied = null;
    java.io.ByteArrayOutputStream scattered = null;
    while (!in.isAtEnd()) {
      int before = in.getTotalBytesRead();
      int tag = in.readTag();
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> topic = in.readString();
        case 2 -> partition = in.readInt32();
        case 3 -> highWatermark = in.readInt64();
        case 4 -> logStart = in.readInt64();
        case 5 -> error = ErrorDetail.parseFrom(in.readBytes());
        case BATCHES_FIELD -> {
          int entryLength = in.readRawVarint32();
          in.skipRawBytes(entryLength);
          int from = start + before;
          int to = start + in.getTotalBytesRead();
          if (entriesStart < 0) {
            entriesStart = from;
            entriesEnd = to;
          } else if (from == entriesEnd && scattered == null) {
            entriesEnd = to;
          } else {
            // Not contiguous (another field in between): gather them.
            if (scattered == null) {
              scattered = new java.io.ByteArrayOutputStream();
              scattered.write(bytes, entriesStart, entriesEnd - entriesStart);
            }
            scattered.write(bytes, from, to - from);
          }
        }
        default -> in.skipField(tag);
      }
    }
    ByteBuffer entries;
    if (scattered != null) {
      copied = scattered.toByteArray();
      entries = ByteBuffer.wrap(copied);
    } else if (entriesStart < 0) {
      entries = ByteBuffer.allocate(0);
    } else {
      entries = ByteBuffer.wrap(bytes, entriesStart, entriesEnd - entriesStart).slice();
    }
    return new Fetched(topic, partition, highWatermark, logStart, error, entries);
  }

  private static final class BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
