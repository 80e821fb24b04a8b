package dev.skein.broker.rpc;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import dev.skein.proto.v1.FetchResponse;
import dev.skein.proto.v1.FetchedPartition;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a {@link FetchFrame} as the protobuf encoding of a FetchResponse, streaming the
 * partitions' stored batch bytes straight into gRPC's buffers (one copy, no decoding).
 */
public final class FetchFrameMarshaller implements MethodDescriptor.Marshaller<FetchFrame> {

  public static final FetchFrameMarshaller INSTANCE = new FetchFrameMarshaller();

  private static final int PARTITIONS_FIELD = 1;
  private static final int BATCHES_FIELD = 15;

  private FetchFrameMarshaller() {}

  @Override
  public InputStream stream(FetchFrame frame) {
    List<ByteBuffer> pieces = new ArrayList<>(frame.partitions().size() * 2 + 1);
    int total = frame.prefix().length;
    if (frame.prefix().length > 0) {
      pieces.add(ByteBuffer.wrap(frame.prefix()));
    }
    for (FetchFrame.Partition p : frame.partitions()) {
      byte[] header = p.header().toByteArray();
      int entries = p.batchBytes();
      int wrap = frame.wrapEntries() && entries > 0
          ? CodedOutputStream.computeTagSize(BATCHES_FIELD) + CodedOutputStream.computeUInt32SizeNoTag(entries) : 0;
      int partitionLength = header.length + wrap + entries;
      byte[] prefixed = new byte[CodedOutputStream.computeTagSize(frame.partitionsField())
          + CodedOutputStream.computeUInt32SizeNoTag(partitionLength) + header.length + wrap];
      CodedOutputStream out = CodedOutputStream.newInstance(prefixed);
      try {
        out.writeTag(frame.partitionsField(), WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(partitionLength);
        out.writeRawBytes(header);
        if (wrap > 0) {
          out.writeTag(BATCHES_FIELD, WireFormat.WIRETYPE_LENGTH_DELIMITED);
          out.writeUInt32NoTag(entries);
        }
        out.checkNoSpaceLeft();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      pieces.add(ByteBuffer.wrap(prefixed));
      total += prefixed.length;
      if (entries > 0) {
        pieces.add(p.entries().duplicate());
        total += entries;
      }
    }
    return new FrameStream(pieces, total);
  }

  /**
   * Parses a consumer frame. Only tests and in-process clients parse on this side; the
   * batches come back re-encoded.
   */
  @Override
  public FetchFrame parse(InputStream stream) {
    try {
      FetchResponse response = FetchResponse.parseFrom(stream);
      List<FetchFrame.Partition> partitions = new ArrayList<>();
      for (FetchedPartition p : response.getPartitionsList()) {
        FetchedPartition header = p.toBuilder().clearBatches().build();
        byte[] batches = FetchedPartition.newBuilder().addAllBatches(p.getBatchesList()).build().toByteArray();
        partitions.add(new FetchFrame.Partition(header, ByteBuffer.wrap(batches)));
      }
      return FetchFrame.consumer(partitions);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Field number under which stored batches sit in a FetchedPartition; the storage layout depends on it. */
  public static int batchesFieldNumber() {
    return BATCHES_FIELD;
  }

  /** An input stream over byte buffers that gRPC drains directly into its transport buffers. */
  private static final class FrameStream extends InputStream implements KnownLength, Drainable {

    private final List<ByteBuffer> pieces;
    private int index;
    private int remaining;

    FrameStream(List<ByteBuffer> pieces, int total) {
      this.pieces = pieces;
      this.remaining = total;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int written = 0;
      byte[] chunk = null;
      for (; index < pieces.size(); index++) {
        ByteBuffer piece = pieces.get(index);
        int length = piece.remaining();
        if (piece.hasArray()) {
          target.write(piece.array(), piece.arrayOffset() + piece.position(), length);
          piece.position(piece.limit());
        } else {
          if (chunk == null) {
            chunk = new byte[64 * 1024];
          }
          while (piece.hasRemaining()) {
            int n = Math.min(chunk.length, piece.remaining());
            piece.get(chunk, 0, n);
            target.write(chunk, 0, n);
          }
        }
        written += length;
      }
      remaining = 0;
      return written;
    }

    @Override
    public int read() {
      while (index < pieces.size()) {
        ByteBuffer piece = pieces.get(index);
        if (piece.hasRemaining()) {
          remaining--;
          return piece.get() & 0xff;
        }
        index++;
      }
      return -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      int n = 0;
      while (n < len && index < pieces.size()) {
        ByteBuffer piece = pieces.get(index);
        if (!piece.hasRemaining()) {
          index++;
          continue;
        }
        int take = Math.min(len - n, piece.remaining());
        piece.get(b, off + n, take);
        n += take;
      }
      remaining -= n;
      return n == 0 ? -1 : n;
    }

    @Override
    public int available() {
      return remaining;
    }
  }

}
