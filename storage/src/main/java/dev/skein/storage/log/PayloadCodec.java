package dev.skein.storage.log;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Decompresses and compresses batch payloads for the log cleaner, by the header's compression number
 * ({@code skein.v1.Compression}). Storage knows none (0, 1) and gzip (2), which the JDK provides; the broker
 * passes a codec that also knows snappy, lz4 and zstd (it owns those libraries). A batch whose codec is not
 * supported is kept whole by the cleaner: never wrong, only less compacted.
 */
public interface PayloadCodec {

  int COMPRESSION_UNSPECIFIED = 0;
  int COMPRESSION_NONE = 1;
  int COMPRESSION_GZIP = 2;

  /** Whether {@link #decompress} and {@link #compress} handle {@code compression}. */
  boolean supports(int compression);

  /** A stream of the plain bytes of {@code compressed}. */
  InputStream decompressing(int compression, InputStream compressed) throws IOException;

  /** A stream that compresses into {@code out}; closing it finishes the frame. */
  OutputStream compressing(int compression, OutputStream out) throws IOException;

  static boolean isNone(int compression) {
    return compression == COMPRESSION_UNSPECIFIED || compression == COMPRESSION_NONE;
  }

  /** The plain RecordSet bytes of a payload (the payload itself when uncompressed). */
  default ByteBuffer decompress(int compression, ByteBuffer payload) {
    if (isNone(compression)) {
      return payload;
    }
    try (InputStream in = decompressing(compression, new ByteBufferInputStream(payload))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, payload.remaining() * 3));
      in.transferTo(out);
      return ByteBuffer.wrap(out.toByteArray());
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot decompress a payload with codec " + compression, e);
    }
  }

  /** {@code plain} compressed with {@code compression}. */
  default ByteBuffer compress(int compression, ByteBuffer plain) {
    if (isNone(compression)) {
      return plain;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, plain.remaining() / 2));
    try (OutputStream compressing = compressing(compression, out)) {
      ByteBuffer source = plain.duplicate();
      byte[] chunk = new byte[8192];
      while (source.hasRemaining()) {
        int n = Math.min(chunk.length, source.remaining());
        source.get(chunk, 0, n);
        compressing.write(chunk, 0, n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot compress with codec " + compression, e);
    }
    return ByteBuffer.wrap(out.toByteArray());
  }

  /** None and gzip, from the JDK. */
  PayloadCodec JDK = new PayloadCodec() {
    @Override
    public boolean supports(int compression) {
      return isNone(compression) || compression == COMPRESSION_GZIP;
    }

    @Override
    public InputStream decompressing(int compression, InputStream compressed) throws IOException {
      if (compression == COMPRESSION_GZIP) {
        return new GZIPInputStream(compressed, 8192);
      }
      throw new IOException("Unsupported compression " + compression);
    }

    @Override
    public OutputStream compressing(int compression, OutputStream out) throws IOException {
      if (compression == COMPRESSION_GZIP) {
        return new GZIPOutputStream(out, 8192);
      }
      throw new IOException("Unsupported compression " + compression);
    }
  };

  /** Reads a buffer from its position to its limit without moving them. */
  final class ByteBufferInputStream extends InputStream {
    private final ByteBuffer buffer;

    ByteBufferInputStream(ByteBuffer buffer) {
      this.buffer = buffer.duplicate();
    }

    @Override
    public int read() {
      return buffer.hasRemaining() ? buffer.get() & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (!buffer.hasRemaining()) {
        return -1;
      }
      int n = Math.min(len, buffer.remaining());
      buffer.get(b, off, n);
      return n;
    }
  }
}
