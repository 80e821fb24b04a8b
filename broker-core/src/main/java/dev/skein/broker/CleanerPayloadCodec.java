package dev.skein.broker;

import com.google.protobuf.ByteString;
import dev.skein.proto.v1.Compression;
import dev.skein.rpc.RecordCompression;
import dev.skein.storage.log.PayloadCodec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * Every codec of {@code RecordBatch.records} for the log cleaner: storage only has the JDK's (none, gzip), and
 * the codec libraries live with {@link RecordCompression} in rpc-proto, which storage may not depend on.
 */
final class CleanerPayloadCodec implements PayloadCodec {

  static final CleanerPayloadCodec INSTANCE = new CleanerPayloadCodec();

  private CleanerPayloadCodec() {
  }

  private static Compression codec(int compression) throws IOException {
    Compression codec = Compression.forNumber(compression);
    if (codec == null) {
      throw new IOException("Unknown compression " + compression);
    }
    return codec;
  }

  @Override
  public boolean supports(int compression) {
    return RecordCompression.isKnown(compression);
  }

  @Override
  public InputStream decompressing(int compression, InputStream compressed) throws IOException {
    return RecordCompression.decompressing(codec(compression), compressed);
  }

  @Override
  public OutputStream compressing(int compression, OutputStream out) throws IOException {
    Compression codec = codec(compression);
    // RecordCompression compresses whole sets; collect the plain bytes and compress them on close.
    return new ByteArrayOutputStream() {
      @Override
      public void close() throws IOException {
        RecordCompression.compress(codec, ByteString.copyFrom(buf, 0, count)).writeTo(out);
        out.close();
      }
    };
  }

  @Override
  public ByteBuffer compress(int compression, ByteBuffer plain) {
    if (PayloadCodec.isNone(compression)) {
      return plain;
    }
    return RecordCompression.compress(Compression.forNumber(compression), ByteString.copyFrom(plain.duplicate()))
        .asReadOnlyByteBuffer();
  }
}
