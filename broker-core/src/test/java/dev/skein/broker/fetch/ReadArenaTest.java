package dev.skein.broker.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ReadArenaTest {

  @Test
  void buffersOfOnePassAreSeparateWritableArrayBackedAndExact() {
    ReadArena arena = new ReadArena();
    arena.take(1000);
    arena.reset(); // the first pass sizes the array
    ByteBuffer a = arena.take(300);
    ByteBuffer b = arena.take(400);
    assertThat(a.hasArray()).isTrue();
    assertThat(a.isReadOnly()).isFalse();
    assertThat(a.position()).isZero();
    assertThat(a.capacity()).isEqualTo(300);
    assertThat(b.capacity()).isEqualTo(400);
    assertThat(a.array()).isSameAs(b.array()); // reused memory, not fresh arrays
    fill(a, (byte) 1);
    fill(b, (byte) 2);
    assertThat(a.get(299)).isEqualTo((byte) 1); // b does not overlap a
  }

  @Test
  void aResetHandsTheSameBytesOutAgain() {
    ReadArena arena = new ReadArena();
    arena.take(100);
    arena.reset();
    ByteBuffer first = arena.take(100);
    fill(first, (byte) 7);
    arena.reset();
    ByteBuffer second = arena.take(100);
    fill(second, (byte) 9);
    // What the arena's contract forbids: holding a buffer across a reset sees the next read's bytes.
    assertThat(first.get(0)).isEqualTo((byte) 9);
  }

  @Test
  void growsToWhatAPassAskedForUpToTheCapAndOtherwiseAllocates() {
    ReadArena arena = new ReadArena();
    assertThat(arena.take(5000).array()).hasSize(5000); // empty arena: a fresh array
    arena.reset();
    assertThat(arena.capacity()).isEqualTo(5000);
    arena.take(4000);
    ByteBuffer overflow = arena.take(2000); // does not fit what is left
    assertThat(overflow.array()).hasSize(2000);
    arena.reset();
    assertThat(arena.capacity()).isEqualTo(6000);

    arena.take(ReadArena.MAX_CAPACITY + 1);
    arena.reset();
    assertThat(arena.capacity()).isEqualTo(ReadArena.MAX_CAPACITY);
  }

  @Test
  void aSecondLeaseOnOneThreadGetsItsOwnArena() {
    ReadArena outer = ReadArena.lease();
    try {
      ReadArena inner = ReadArena.lease();
      assertThat(inner).isNotSameAs(outer);
      inner.release();
    } finally {
      outer.release();
    }
    ReadArena again = ReadArena.lease();
    assertThat(again).isSameAs(outer); // the thread's arena, free again
    again.release();
  }

  private static void fill(ByteBuffer buffer, byte value) {
    for (int i = 0; i < buffer.capacity(); i++) {
      buffer.put(i, value);
    }
  }
}
