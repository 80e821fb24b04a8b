package dev.skein.storage.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Segment files are named by their base offset, zero-padded to 20 digits as Kafka's are. */
class SegmentFileNameTest {

  @Test
  void aBaseOffsetIsPaddedToTwentyDigits() {
    assertThat(LogSegment.fileStem(0)).isEqualTo("00000000000000000000");
    assertThat(LogSegment.fileStem(123)).isEqualTo("00000000000000000123");
    assertThat(LogSegment.fileStem(Long.MAX_VALUE)).isEqualTo("09223372036854775807");
    for (long offset : new long[] {1, 9, 10, 99_999, 1L << 40}) {
      assertThat(LogSegment.fileStem(offset)).isEqualTo(String.format("%020d", offset));
    }
  }

  @Test
  void namesSortLikeTheirOffsets() {
    List<Long> offsets = List.of(0L, 7L, 10L, 100L, 65_536L, 1_000_000_007L);
    List<String> sorted = offsets.stream().map(LogSegment::fileStem).sorted().toList();
    assertThat(sorted).containsExactlyElementsOf(offsets.stream().map(LogSegment::fileStem).toList());
    assertThat(Stream.of(sorted.get(0), sorted.get(5)).map(Long::parseLong)).containsExactly(0L, 1_000_000_007L);
  }

  @Test
  void aNegativeBaseOffsetIsRefused() {
    assertThatThrownBy(() -> LogSegment.fileStem(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
