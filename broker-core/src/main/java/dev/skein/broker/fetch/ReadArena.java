package dev.skein.broker.fetch;

import dev.skein.storage.log.ReadBuffers;
import java.nio.ByteBuffer;

/**
 * Read buffers that a Subscribe pump reuses from one response to the next, so that streaming a
 * partition does not allocate (and the JVM zero) a new array for every read. It is sound
 * because gRPC serializes a message into its own transport buffers inside {@code onNext}: once
 * that returns, nothing refers to the bytes, and the pump {@linkplain #reset resets} the arena
 * before its next read.
 *
 * <p>One arena per pump thread, grown to what a pass asked for, up to {@link #MAX_CAPACITY}; a
 * read that does not fit gets a fresh array, as does a pass that finds its thread's arena in
 * use.
 */
final class ReadArena implements ReadBuffers {

  /** Largest array an arena keeps (per pump thread, for as long as the thread lives). */
  static final int MAX_CAPACITY = 8 * 1024 * 1024;

  private static final ThreadLocal<ReadArena> PER_THREAD = ThreadLocal.withInitial(ReadArena::new);

  private byte[] array = new byte[0];
  private int used;
  /** Bytes asked for since the last reset, fitting or not: the size the next pass wants. */
  private long asked;
  private boolean leased;

  /** This thread's arena, or a new one when this thread's is already leased. */
  static ReadArena lease() {
    ReadArena arena = PER_THREAD.get();
    if (arena.leased) {
      arena = new ReadArena();
    }
    arena.leased = true;
    return arena;
  }

  /** Ends the lease; the arena's bytes may be handed out again to the next lease. */
  void release() {
    leased = false;
    reset();
  }

  /**
   * Makes every byte handed out so far free for reuse, growing the array first if the last pass
   * asked for more than it holds. Callers must no longer refer to earlier buffers.
   */
  ReadArena reset() {
    if (asked > array.length && array.length < MAX_CAPACITY) {
      array = new byte[(int) Math.min(MAX_CAPACITY, asked)];
    }
    used = 0;
    asked = 0;
    return this;
  }

  @Override
  public ByteBuffer take(int length) {
    asked += length;
    if (length > array.length - used) {
      return ByteBuffer.allocate(length);
    }
    ByteBuffer buffer = ByteBuffer.wrap(array, used, length).slice();
    used += length;
    return buffer;
  }

  int capacity() {
    return array.length;
  }
}
