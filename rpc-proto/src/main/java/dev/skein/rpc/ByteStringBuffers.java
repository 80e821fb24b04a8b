package dev.skein.rpc;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * Buffers over a {@link ByteString}'s own bytes that the JDK reads in place.
 *
 * <p>{@link ByteString#asReadOnlyByteBuffer()} gives a read-only heap buffer, whose array the JDK
 * cannot reach: {@link java.util.zip.CRC32C} then copies it through a 4 KiB scratch array, and every
 * batch a leader stamps or a follower verifies paid that copy. A buffer with an accessible array is
 * checksummed in place. The array is the one the message was parsed from ({@link AliasingMarshaller}
 * aliases it), so callers must treat the buffer as read-only; nothing else writes to it either.
 */
public final class ByteStringBuffers {

  private ByteStringBuffers() {}

  /**
   * The bytes of {@code bytes} as a buffer backed by its array when it has exactly one (a parsed
   * field, a wrapped array), else as {@link ByteString#asReadOnlyByteBuffer()} gives them.
   */
  public static ByteBuffer readable(ByteString bytes) {
    SingleArray capture = new SingleArray();
    try {
      UnsafeByteOperations.unsafeWriteTo(bytes, capture);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // SingleArray throws none
    }
    return capture.view != null && capture.pieces == 1 ? capture.view : bytes.asReadOnlyByteBuffer();
  }

  /**
   * Keeps the one array slice a flat ByteString hands over lazily (its own bytes). A rope hands over
   * several; an eager write may pass a scratch array, so it never counts.
   */
  private static final class SingleArray extends ByteOutput {
    ByteBuffer view;
    int pieces;

    @Override
    public void write(byte value) {
      pieces += 2;
    }

    @Override
    public void write(byte[] value, int offset, int length) {
      pieces += 2;
    }

    @Override
    public void writeLazy(byte[] value, int offset, int length) {
      pieces++;
      view = ByteBuffer.wrap(value, offset, length).slice();
    }

    @Override
    public void write(ByteBuffer value) {
      pieces += 2;
    }

    @Override
    public void writeLazy(ByteBuffer value) {
      pieces++;
      view = value.hasArray() ? value.slice() : null;
    }
  }
}
