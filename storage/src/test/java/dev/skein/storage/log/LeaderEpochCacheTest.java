package dev.skein.storage.log;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LeaderEpochCacheTest {

  private final TestEpochCheckpoint checkpoint = new TestEpochCheckpoint();

  private LeaderEpochCache cache(EpochEntry... entries) {
    return new LeaderEpochCache(List.of(entries), checkpoint);
  }

  private static EpochEntry e(int epoch, long startOffset) {
    return new EpochEntry(epoch, startOffset);
  }

  // ---------------------------------------------------------------- assign

  @Test
  void assign_appends_rising_epochs_and_writes_each_change() {
    LeaderEpochCache cache = cache();
    assertThat(cache.latestEpoch()).isEmpty();

    assertThat(cache.assign(1, 0)).isTrue();
    assertThat(cache.assign(3, 10)).isTrue();

    assertThat(cache.epochEntries()).containsExactly(e(1, 0), e(3, 10));
    assertThat(cache.latestEpoch()).hasValue(3);
    assertThat(cache.earliestEntry()).contains(e(1, 0));
    assertThat(cache.latestEntry()).contains(e(3, 10));
    assertThat(checkpoint.history()).containsExactly(List.of(e(1, 0)), List.of(e(1, 0), e(3, 10)));
  }

  @Test
  void assign_ignores_an_epoch_not_above_the_latest_and_writes_nothing() {
    LeaderEpochCache cache = cache(e(2, 0), e(4, 10));

    assertThat(cache.assign(4, 20)).isFalse(); // same epoch, later offset: the epoch continues
    assertThat(cache.assign(4, 5)).isFalse();  // same epoch, earlier offset
    assertThat(cache.assign(3, 30)).isFalse(); // older epoch

    assertThat(cache.epochEntries()).containsExactly(e(2, 0), e(4, 10));
    assertThat(checkpoint.writes()).isZero();
  }

  @Test
  void assign_at_or_below_the_latest_start_replaces_the_entries_from_there() {
    LeaderEpochCache cache = cache(e(1, 0), e(2, 10), e(3, 20));

    assertThat(cache.assign(4, 20)).isTrue(); // epoch 3 never wrote anything: 4 takes its place
    assertThat(cache.epochEntries()).containsExactly(e(1, 0), e(2, 10), e(4, 20));

    assertThat(cache.assign(5, 15)).isTrue(); // Kafka's rule: everything starting at or above 15 goes
    assertThat(cache.epochEntries()).containsExactly(e(1, 0), e(2, 10), e(5, 15));

    assertThat(cache.assign(6, 0)).isTrue();
    assertThat(cache.epochEntries()).containsExactly(e(6, 0));
    assertThat(checkpoint.read()).contains(List.of(e(6, 0)));
  }

  @Test
  void assign_of_several_entries_applies_each_in_order_with_one_write() {
    LeaderEpochCache cache = cache(e(1, 0));

    assertThat(cache.assign(List.of(e(1, 5), e(2, 10), e(2, 12), e(1, 14), e(4, 20)))).isTrue();

    assertThat(cache.epochEntries()).containsExactly(e(1, 0), e(2, 10), e(4, 20));
    assertThat(checkpoint.writes()).isOne();
    assertThat(cache.assign(List.of(e(3, 30), e(4, 31)))).isFalse();
    assertThat(checkpoint.writes()).isOne();
  }

  @Test
  void a_new_entry_is_written_before_readers_see_it() {
    LeaderEpochCache cache = cache(e(1, 0));
    checkpoint.onWrite(entries -> assertThat(cache.latestEpoch()).hasValue(1));
    cache.assign(2, 10);
    assertThat(cache.latestEpoch()).hasValue(2);
    assertThat(checkpoint.writes()).isOne();
  }

  @Test
  void a_failed_write_leaves_the_cache_unchanged() {
    LeaderEpochCache cache = new LeaderEpochCache(List.of(e(1, 0)), new LeaderEpochCheckpoint() {
      @Override
      public Optional<List<EpochEntry>> read() {
        return Optional.empty();
      }

      @Override
      public void write(List<EpochEntry> entries) {
        throw new IllegalStateException("disk gone");
      }
    });
    assertThatThrownBy(() -> cache.assign(2, 10)).hasMessage("disk gone");
    assertThat(cache.epochEntries()).containsExactly(e(1, 0));
  }

  @Test
  void rejects_negative_epochs_and_offsets_and_unordered_entries() {
    LeaderEpochCache cache = cache();
    assertThatThrownBy(() -> cache.assign(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> cache.assign(0, -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> cache(e(2, 0), e(1, 10))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> cache(e(1, 10), e(2, 10))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> cache(e(1, 0), e(1, 10))).isInstanceOf(IllegalArgumentException.class);
  }

  // ---------------------------------------------------------------- endOffsetFor

  @Test
  void end_offset_for_the_latest_epoch_is_the_log_end_offset() {
    LeaderEpochCache cache = cache(e(1, 0), e(3, 10), e(6, 20));
    assertThat(cache.endOffsetFor(6, 35)).isEqualTo(new EpochEndOffset(6, 35));
    // A leader's new epoch in which nothing is written yet: its end is where it starts.
    assertThat(cache(e(1, 0), e(3, 10)).endOffsetFor(3, 10)).isEqualTo(new EpochEndOffset(3, 10));
  }

  @Test
  void end_offset_for_a_cached_epoch_is_the_start_of_the_next() {
    LeaderEpochCache cache = cache(e(1, 0), e(3, 10), e(6, 20));
    assertThat(cache.endOffsetFor(1, 35)).isEqualTo(new EpochEndOffset(1, 10));
    assertThat(cache.endOffsetFor(3, 35)).isEqualTo(new EpochEndOffset(3, 20));
  }

  @Test
  void end_offset_for_an_epoch_between_cached_ones_is_the_largest_below_ending_at_the_next_above() {
    LeaderEpochCache cache = cache(e(1, 0), e(3, 10), e(6, 20));
    assertThat(cache.endOffsetFor(2, 35)).isEqualTo(new EpochEndOffset(1, 10));
    assertThat(cache.endOffsetFor(4, 35)).isEqualTo(new EpochEndOffset(3, 20));
    assertThat(cache.endOffsetFor(5, 35)).isEqualTo(new EpochEndOffset(3, 20));
  }

  @Test
  void end_offset_is_undefined_below_the_earliest_above_the_latest_for_no_epoch_and_for_an_empty_cache() {
    LeaderEpochCache cache = cache(e(2, 5), e(3, 10));
    assertThat(cache.endOffsetFor(1, 35)).isEqualTo(EpochEndOffset.UNDEFINED);
    assertThat(cache.endOffsetFor(0, 35)).isEqualTo(EpochEndOffset.UNDEFINED);
    assertThat(cache.endOffsetFor(4, 35)).isEqualTo(EpochEndOffset.UNDEFINED);
    assertThat(cache.endOffsetFor(EpochEndOffset.UNDEFINED_EPOCH, 35)).isEqualTo(EpochEndOffset.UNDEFINED);
    assertThat(cache().endOffsetFor(0, 35)).isEqualTo(EpochEndOffset.UNDEFINED);
    assertThat(EpochEndOffset.UNDEFINED).isEqualTo(new EpochEndOffset(-1, -1));
    assertThat(EpochEndOffset.UNDEFINED.isUndefined()).isTrue();
    assertThat(new EpochEndOffset(2, 5).isUndefined()).isFalse();
  }

  @Test
  void end_offset_matches_a_linear_search_for_every_epoch() {
    LeaderEpochCache cache = cache(e(0, 0), e(2, 7), e(3, 9), e(7, 40), e(8, 41), e(12, 100));
    List<EpochEntry> entries = cache.epochEntries();
    for (int requested = -1; requested <= 14; requested++) {
      EpochEndOffset expected = EpochEndOffset.UNDEFINED;
      if (requested == 12) {
        expected = new EpochEndOffset(12, 150);
      } else if (requested >= 0 && requested < 12) {
        for (int i = entries.size() - 1; i >= 0; i--) {
          if (entries.get(i).epoch() <= requested) {
            expected = new EpochEndOffset(entries.get(i).epoch(), entries.get(i + 1).startOffset());
            break;
          }
        }
      }
      assertThat(cache.endOffsetFor(requested, 150)).as("epoch %d", requested).isEqualTo(expected);
    }
  }

  // ---------------------------------------------------------------- truncation

  @Test
  void truncate_from_end_removes_entries_starting_at_or_above_the_offset() {
    LeaderEpochCache cache = cache(e(1, 0), e(3, 10), e(6, 20));

    assertThat(cache.truncateFromEnd(21)).isFalse();
    assertThat(cache.truncateFromEnd(20)).isTrue();
    assertThat(cache.epochEntries()).containsExactly(e(1, 0), e(3, 10));
    assertThat(cache.truncateFromEnd(5)).isTrue();
    assertThat(cache.epochEntries()).containsExactly(e(1, 0));
    assertThat(cache.truncateFromEnd(0)).isTrue();
    assertThat(cache.epochEntries()).isEmpty();
    assertThat(checkpoint.history()).containsExactly(List.of(e(1, 0), e(3, 10)), List.of(e(1, 0)), List.of());
  }

  @Test
  void truncate_from_start_drops_epochs_below_and_moves_the_earliest_remaining_start_up() {
    LeaderEpochCache cache = cache(e(1, 0), e(3, 10), e(6, 20));

    assertThat(cache.truncateFromStart(0)).isFalse();
    assertThat(cache.truncateFromStart(5)).isTrue();
    assertThat(cache.epochEntries()).containsExactly(e(1, 5), e(3, 10), e(6, 20));
    assertThat(cache.truncateFromStart(10)).isTrue(); // epoch 1 ends where 3 starts: it is gone
    assertThat(cache.epochEntries()).containsExactly(e(3, 10), e(6, 20));
    assertThat(cache.truncateFromStart(10)).isFalse();
    assertThat(cache.truncateFromStart(25)).isTrue();
    assertThat(cache.epochEntries()).containsExactly(e(6, 25));
    assertThat(checkpoint.read()).contains(List.of(e(6, 25)));
    assertThat(checkpoint.writes()).isEqualTo(3);
  }

  @Test
  void truncate_from_start_below_the_earliest_changes_nothing() {
    LeaderEpochCache cache = cache(e(3, 10));
    assertThat(cache.truncateFromStart(9)).isFalse();
    assertThat(cache.epochEntries()).containsExactly(e(3, 10));
    assertThat(cache().truncateFromStart(9)).isFalse();
  }

  @Test
  void clear_empties_the_cache_and_its_checkpoint() {
    LeaderEpochCache cache = cache(e(1, 0), e(3, 10));
    cache.clear();
    assertThat(cache.isEmpty()).isTrue();
    assertThat(checkpoint.read()).contains(List.of());
    cache.clear();
    assertThat(checkpoint.writes()).isOne();
  }

  // ---------------------------------------------------------------- epochForOffset

  @Test
  void epoch_for_offset_is_the_epoch_of_the_latest_start_at_or_below_it() {
    LeaderEpochCache cache = cache(e(1, 5), e(3, 10), e(6, 20));
    assertThat(cache.epochForOffset(4)).isEqualTo(OptionalInt.empty());
    assertThat(cache.epochForOffset(5)).hasValue(1);
    assertThat(cache.epochForOffset(9)).hasValue(1);
    assertThat(cache.epochForOffset(10)).hasValue(3);
    assertThat(cache.epochForOffset(19)).hasValue(3);
    assertThat(cache.epochForOffset(20)).hasValue(6);
    assertThat(cache.epochForOffset(Long.MAX_VALUE)).hasValue(6);
    assertThat(cache().epochForOffset(0)).isEmpty();
  }
}
