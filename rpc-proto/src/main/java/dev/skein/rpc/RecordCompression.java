package dev.skein.rpc;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import com.google.protobuf.ByteString;
import dev.skein.proto.v1.Compression;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;
import org.xerial.snappy.SnappyFramedInputStream;
import org.xerial.snappy.SnappyFramedOutputStream;

/**
 * The codecs of {@code RecordBatch.records}. Each uses its format's standard framing (gzip
 * member, Snappy framing format, LZ4 frame, Zstandard frame) so that stock libraries in
 * other languages read and write them.
 */
public final class RecordCompression {

  private RecordCompression() {}

  /** True for UNSPECIFIED and NONE, which both mean the payload is a plain serialized RecordSet. */
  public static boolean isNone(Compression codec) {
    return codec == Compression.COMPRESSION_NONE || codec == Compression.COMPRESSION_UNSPECIFIED;
  }

  public static boolean isKnown(int codecNumber) {
    Compression codec = Compression.forNumber(codecNumber);
    return codec != null;
  }

  /** Compresses a serialized RecordSet. */
  public static ByteString compress(Compression codec, ByteString plain) {
    if (isNone(codec)) {
      return plain;
    }
    ByteString.Output out = ByteString.newOutput(Math.max(64, plain.size() / 2));
    try (OutputStream compressing = compressing(codec, out)) {
      plain.writeTo(compressing);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot compress with " + codec, e);
    }
    return out.toByteString();
  }

  /** A stream of the plain bytes of {@code compressed}; closing it closes {@code compressed}. */
  public static InputStream decompressing(Compression codec, InputStream compressed) throws IOException {
    return switch (codec) {
      case COMPRESSION_NONE, COMPRESSION_UNSPECIFIED -> compressed;
      case COMPRESSION_GZIP -> new GZIPInputStream(compressed, 8192);
      case COMPRESSION_SNAPPY -> new SnappyFramedInputStream(compressed);
      case COMPRESSION_LZ4 -> new LZ4FrameInputStream(compressed);
      case COMPRESSION_ZSTD -> new ZstdInputStream(compressed);
      case UNRECOGNIZED -> throw new IOException("unknown compression codec");
    };
  }

  /** The plain bytes of {@code compressed}. */
  public static ByteString decompress(Compression codec, ByteString compressed) throws IOException {
    if (isNone(codec)) {
      return compressed;
    }
    try (InputStream in = decompressing(codec, compressed.newInput())) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, compressed.size() * 3));
      in.transferTo(out);
      return ByteString.copyFrom(out.toByteArray());
    }
  }

  private static OutputStream compressing(Compression codec, OutputStream out) throws IOException {
    return switch (codec) {
      case COMPRESSION_GZIP -> new GZIPOutputStream(out, 8192);
      case COMPRESSION_SNAPPY -> new SnappyFramedOutputStream(out);
      case COMPRESSION_LZ4 -> new LZ4FrameOutputStream(out);
      case COMPRESSION_ZSTD -> new ZstdOutputStream(out);
      default -> throw new IllegalArgumentException("not a compression codec: " + codec);
    };
  }
}
