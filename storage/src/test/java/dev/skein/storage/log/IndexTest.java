package dev.skein.storage.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IndexTest {

  @TempDir
  Path dir;

  @Test
  void offset_index_lookup_finds_the_floor_entry_by_binary_search() throws IOException {
    OffsetIndex index = new OffsetIndex(dir.resolve("i.index"), 1000, 8 * 100, true);
    for (int i = 0; i < 50; i++) {
      index.append(1000 + i * 10L, i * 100);
    }
    assertThat(index.lookup(999)).isEqualTo(new OffsetIndex.OffsetPosition(1000, 0));
    assertThat(index.lookup(1000)).isEqualTo(new OffsetIndex.OffsetPosition(1000, 0));
    assertThat(index.lookup(1009)).isEqualTo(new OffsetIndex.OffsetPosition(1000, 0));
    assertThat(index.lookup(1010)).isEqualTo(new OffsetIndex.OffsetPosition(1010, 100));
    assertThat(index.lookup(1255)).isEqualTo(new OffsetIndex.OffsetPosition(1250, 2500));
    assertThat(index.lookup(99_999)).isEqualTo(new OffsetIndex.OffsetPosition(1490, 4900));
    assertThat(index.lastEntry()).isEqualTo(new OffsetIndex.OffsetPosition(1490, 4900));
  }

  @Test
  void offset_index_rejects_entries_out_of_order_and_beyond_capacity() throws IOException {
    OffsetIndex index = new OffsetIndex(dir.resolve("i.index"), 0, 16, true);
    index.append(0, 0);
    assertThatThrownBy(() -> index.append(0, 10)).isInstanceOf(IllegalStateException.class);
    index.append(5, 10);
    assertThat(index.isFull()).isTrue();
    assertThatThrownBy(() -> index.append(9, 20)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void offset_index_truncates_trims_and_reopens() throws IOException {
    Path file = dir.resolve("i.index");
    OffsetIndex index = new OffsetIndex(file, 0, 8 * 1000, true);
    for (int i = 0; i < 10; i++) {
      index.append(i * 3L, i * 50);
    }
    assertThat(Files.size(file)).isEqualTo(8000); // preallocated
    index.truncateTo(13); // entries at 15, 18, ... go; 12 stays
    assertThat(index.lastEntry()).isEqualTo(new OffsetIndex.OffsetPosition(12, 200));
    index.trimToEntries();
    assertThat(Files.size(file)).isEqualTo(5 * 8);
    assertThat(index.lookup(14)).isEqualTo(new OffsetIndex.OffsetPosition(12, 200));

    OffsetIndex reopened = new OffsetIndex(file, 0, 8 * 1000, false);
    assertThat(reopened.entries()).isEqualTo(5);
    reopened.sanityCheck(250);
    assertThatThrownBy(() -> reopened.sanityCheck(200)).isInstanceOf(CorruptIndexException.class);
  }

  @Test
  void an_untrimmed_index_left_by_a_crash_fails_the_sanity_check() throws IOException {
    Path file = dir.resolve("i.index");
    OffsetIndex index = new OffsetIndex(file, 0, 8 * 100, true);
    index.append(0, 0);
    index.append(4, 100);
    index.flush(); // never trimmed: the file keeps its zero tail

    OffsetIndex reopened = new OffsetIndex(file, 0, 8 * 100, true);
    assertThat(reopened.entries()).isEqualTo(100);
    assertThatThrownBy(() -> reopened.sanityCheck(1000)).isInstanceOf(CorruptIndexException.class);
  }

  @Test
  void time_index_keeps_increasing_timestamps_and_finds_the_floor() throws IOException {
    TimeIndex index = new TimeIndex(dir.resolve("t.timeindex"), 100, 12 * 10, true);
    index.maybeAppend(50, 100, false);
    index.maybeAppend(50, 105, false); // not above the last: ignored
    index.maybeAppend(40, 106, false); // ditto
    index.maybeAppend(70, 110, false);
    index.maybeAppend(90, 120, false);
    assertThat(index.entries()).isEqualTo(3);
    assertThat(index.lookup(49)).isNull();
    assertThat(index.lookup(50)).isEqualTo(new TimeIndex.TimestampOffset(50, 100));
    assertThat(index.lookup(89)).isEqualTo(new TimeIndex.TimestampOffset(70, 110));
    assertThat(index.lookup(1000)).isEqualTo(new TimeIndex.TimestampOffset(90, 120));
    index.truncateTo(110);
    assertThat(index.lastEntry()).isEqualTo(new TimeIndex.TimestampOffset(50, 100));
  }

  @Test
  void time_index_keeps_its_last_slot_for_the_final_entry() throws IOException {
    TimeIndex index = new TimeIndex(dir.resolve("t.timeindex"), 0, 12 * 4, true);
    index.maybeAppend(1, 0, false);
    index.maybeAppend(2, 1, false);
    index.maybeAppend(3, 2, false);
    assertThat(index.isFull()).isTrue();
    assertThatThrownBy(() -> index.maybeAppend(4, 3, false)).isInstanceOf(IllegalStateException.class);
    index.maybeAppend(5, 4, true);
    assertThat(index.lastEntry()).isEqualTo(new TimeIndex.TimestampOffset(5, 4));
  }
}
