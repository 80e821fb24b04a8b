package dev.skein.storage.log;

import java.nio.ByteBuffer;

/**
 * Where a log read puts the bytes it reads. Most readers take {@link #FRESH}: a new array per
 * read, theirs for as long as they keep it. A reader that is done with the bytes at a point it
 * knows (a stream that hands each response to gRPC, which copies it before returning) may
 * reuse arrays instead, and spare the JVM allocating and zeroing one per read.
 */
@FunctionalInterface
public interface ReadBuffers {

  /** A new heap buffer for every read. */
  ReadBuffers FRESH = ByteBuffer::allocate;

  /** A writable, array-backed buffer of exactly {@code length} bytes, at position 0. */
  ByteBuffer take(int length);
}
