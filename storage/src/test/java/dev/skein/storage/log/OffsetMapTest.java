package dev.skein.storage.log;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class OffsetMapTest {

  private static ByteBuffer key(String key) {
    return ByteBuffer.wrap(("pad" + key).getBytes(StandardCharsets.UTF_8));
  }

  private static boolean put(OffsetMap map, String k, long offset) {
    ByteBuffer b = key(k);
    return map.put(b, 3, b.remaining() - 3, offset);
  }

  private static long get(OffsetMap map, String k) {
    ByteBuffer b = key(k);
    return map.get(b, 3, b.remaining() - 3);
  }

  @Test
  void keepsEachKeysHighestOffsetAndRefusesNewKeysWhenFull() {
    OffsetMap map = new OffsetMap(OffsetMap.BYTES_PER_ENTRY * 100L);
    assertThat(map.memoryBytes()).isEqualTo(2400);
    assertThat(map.maxEntries()).isEqualTo(90);
    for (int i = 0; i < 90; i++) {
      assertThat(put(map, "k" + i, i)).isTrue();
    }
    assertThat(put(map, "k5", 500)).isTrue();
    assertThat(put(map, "k5", 400)).isTrue(); // lower: ignored
    assertThat(get(map, "k5")).isEqualTo(500);
    assertThat(get(map, "k89")).isEqualTo(89);
    assertThat(get(map, "absent")).isEqualTo(-1);
    assertThat(put(map, "one-too-many", 1000)).isFalse();
    assertThat(get(map, "one-too-many")).isEqualTo(-1);
    assertThat(map.size()).isEqualTo(90);
    map.clear();
    assertThat(map.size()).isZero();
    assertThat(get(map, "k5")).isEqualTo(-1);
  }
}
