package dev.skein.storage.log;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The idempotent-producer state machine on its own: the leader's checks, the fold, expiry and eviction. */
class ProducerStateManagerTest {

  private static final long PID = 7;
  private static final long TIME = 1_700_000_000_000L;

  private final ProducerStateManager state = new ProducerStateManager("test", 100);
  /** The next offset a batch gets, as if each were appended to a log. */
  private long nextOffset;

  /** Checks a batch as the leader would, and folds it in unless it is refused or a duplicate. */
  private Optional<ProducerBatchMetadata> leaderAppend(ProducerStateManager s, long pid, int epoch, int baseSequence,
                             int records) {
    Optional<ProducerBatchMetadata> duplicate = s.checkLeaderAppend(pid, epoch, baseSequence, records);
    if (duplicate.isEmpty()) {
      s.update(pid, epoch, baseSequence, ProducerBatchMetadata.incrementSequence(baseSequence, records - 1),
          nextOffset, nextOffset + records - 1, TIME + nextOffset);
      nextOffset += records;
    }
    return duplicate;
  }

  private Optional<ProducerBatchMetadata> leaderAppend(long pid, int epoch, int baseSequence, int records) {
    return leaderAppend(state, pid, epoch, baseSequence, records);
  }

  private static ProducerBatchMetadata meta(int firstSequence, int lastSequence, long firstOffset) {
    return new ProducerBatchMetadata(firstSequence, lastSequence, firstOffset,
        firstOffset + (lastSequence - firstSequence), TIME + firstOffset);
  }

  // ---------------------------------------------------------------- sequences

  @Test
  void sequences_wrap_past_int_max_to_zero() {
    assertThat(ProducerBatchMetadata.incrementSequence(5, 3)).isEqualTo(8);
    assertThat(ProducerBatchMetadata.incrementSequence(Integer.MAX_VALUE, 0)).isEqualTo(Integer.MAX_VALUE);
    assertThat(ProducerBatchMetadata.incrementSequence(Integer.MAX_VALUE, 1)).isZero();
    assertThat(ProducerBatchMetadata.incrementSequence(Integer.MAX_VALUE - 1, 3)).isEqualTo(1);
    assertThat(ProducerBatchMetadata.incrementSequence(Integer.MAX_VALUE - 2, 2)).isEqualTo(Integer.MAX_VALUE);
  }

  // ---------------------------------------------------------------- unknown producers

  @Test
  void an_unknown_producer_is_accepted_at_sequence_zero_and_tracked() {
    assertThat(leaderAppend(PID, 3, 0, 4)).isEmpty();

    ProducerStateEntry entry = state.entry(PID).orElseThrow();
    assertThat(entry.producerEpoch()).isEqualTo(3);
    assertThat(entry.batches()).containsExactly(meta(0, 3, 0));
    assertThat(entry.lastSequence()).isEqualTo(3);
    assertThat(entry.lastOffset()).isEqualTo(3);
    assertThat(entry.nextSequence()).isEqualTo(4);
  }

  @Test
  void an_unknown_producer_with_another_sequence_is_refused_and_not_tracked() {
    assertThatThrownBy(() -> state.checkLeaderAppend(PID, 0, 5, 1))
        .isInstanceOfSatisfying(UnknownProducerIdException.class, e -> {
          assertThat(e.producerId()).isEqualTo(PID);
          assertThat(e.baseSequence()).isEqualTo(5);
        })
        .hasMessageContaining("Producer 7").hasMessageContaining("base sequence 0, not 5");
    assertThat(state.entry(PID)).isEmpty();
    assertThat(state.version()).isZero();
  }

  // ---------------------------------------------------------------- same epoch

  @Test
  void the_next_batch_must_continue_the_sequence_exactly() {
    leaderAppend(PID, 0, 0, 3); // 0..2
    leaderAppend(PID, 0, 3, 2); // 3..4

    assertThatThrownBy(() -> state.checkLeaderAppend(PID, 0, 6, 1)) // 5 was lost
        .isInstanceOfSatisfying(OutOfOrderSequenceException.class, e -> {
          assertThat(e.expectedSequence()).isEqualTo(5);
          assertThat(e.receivedSequence()).isEqualTo(6);
          assertThat(e.producerEpoch()).isZero();
        })
        .hasMessageContaining("expected 5, received 6");
    assertThatThrownBy(() -> state.checkLeaderAppend(PID, 0, 4, 1)) // overlaps the last batch, not a retry
        .isInstanceOf(OutOfOrderSequenceException.class);
    assertThatThrownBy(() -> state.checkLeaderAppend(PID, 0, 3, 1)) // same first sequence, other last one
        .isInstanceOf(OutOfOrderSequenceException.class);
    assertThat(leaderAppend(PID, 0, 5, 1)).isEmpty();
    assertThat(state.entry(PID).orElseThrow().batches()).containsExactly(meta(0, 2, 0), meta(3, 4, 3),
        meta(5, 5, 5));
  }

  @Test
  void a_retry_of_any_of_the_last_five_batches_is_a_duplicate_and_an_older_one_is_out_of_order() {
    for (int i = 0; i < 7; i++) {
      leaderAppend(PID, 1, 2 * i, 2); // batches (0,1), (2,3), ... (12,13) at offsets 0, 2, ... 12
    }
    long version = state.version();

    for (int i = 2; i < 7; i++) {
      assertThat(state.checkLeaderAppend(PID, 1, 2 * i, 2)).as("retry of batch %d", i)
          .contains(meta(2 * i, 2 * i + 1, 2 * i));
    }
    for (int i = 0; i < 2; i++) {
      int sequence = 2 * i;
      assertThatThrownBy(() -> state.checkLeaderAppend(PID, 1, sequence, 2)).as("retry of batch %d", i)
          .isInstanceOfSatisfying(OutOfOrderSequenceException.class,
              e -> assertThat(e.expectedSequence()).isEqualTo(14));
    }
    assertThat(state.entry(PID).orElseThrow().batches()).hasSize(ProducerStateEntry.MAX_BATCHES);
    assertThat(state.version()).as("checks change nothing").isEqualTo(version);
  }

  @Test
  void sequences_continue_across_the_wrap_and_duplicates_are_found_across_it() {
    // A follower (or replay) can place a producer anywhere; the leader then continues from there.
    state.update(PID, 2, Integer.MAX_VALUE - 4, Integer.MAX_VALUE - 2, 0, 2, TIME);
    nextOffset = 3;

    assertThatThrownBy(() -> state.checkLeaderAppend(PID, 2, 0, 1))
        .isInstanceOfSatisfying(OutOfOrderSequenceException.class,
            e -> assertThat(e.expectedSequence()).isEqualTo(Integer.MAX_VALUE - 1));
    assertThat(leaderAppend(PID, 2, Integer.MAX_VALUE - 1, 4)).isEmpty(); // MAX-1, MAX, 0, 1
    ProducerStateEntry entry = state.entry(PID).orElseThrow();
    assertThat(entry.lastSequence()).isEqualTo(1);
    assertThat(entry.nextSequence()).isEqualTo(2);
    assertThat(state.checkLeaderAppend(PID, 2, Integer.MAX_VALUE - 1, 4))
        .contains(new ProducerBatchMetadata(Integer.MAX_VALUE - 1, 1, 3, 6, TIME + 3));
    assertThat(leaderAppend(PID, 2, 2, 1)).isEmpty();

    state.update(PID, 2, 3, Integer.MAX_VALUE, 8, 9, TIME); // ends exactly at MAX
    assertThat(state.entry(PID).orElseThrow().nextSequence()).isZero();
    assertThat(state.checkLeaderAppend(PID, 2, 0, 1)).isEmpty();
  }

  // ---------------------------------------------------------------- epochs

  @Test
  void an_older_epoch_is_refused() {
    leaderAppend(PID, 5, 0, 1);

    assertThatThrownBy(() -> state.checkLeaderAppend(PID, 4, 1, 1))
        .isInstanceOfSatisfying(InvalidProducerEpochException.class, e -> {
          assertThat(e.producerEpoch()).isEqualTo(4);
          assertThat(e.currentEpoch()).isEqualTo(5);
        })
        .hasMessageContaining("epoch 4").hasMessageContaining("epoch 5");
    // Even a batch that looks like a retry: the old producer is fenced.
    assertThatThrownBy(() -> state.checkLeaderAppend(PID, 4, 0, 1)).isInstanceOf(InvalidProducerEpochException.class);
  }

  @Test
  void a_newer_epoch_must_start_at_sequence_zero_and_resets_the_window() {
    leaderAppend(PID, 1, 0, 3);
    leaderAppend(PID, 1, 3, 3);

    assertThatThrownBy(() -> state.checkLeaderAppend(PID, 2, 6, 1))
        .isInstanceOfSatisfying(OutOfOrderSequenceException.class, e -> {
          assertThat(e.expectedSequence()).isZero();
          assertThat(e.receivedSequence()).isEqualTo(6);
          assertThat(e.producerEpoch()).isEqualTo(2);
        });
    assertThat(leaderAppend(PID, 2, 0, 2)).isEmpty();

    ProducerStateEntry entry = state.entry(PID).orElseThrow();
    assertThat(entry.producerEpoch()).isEqualTo(2);
    assertThat(entry.batches()).containsExactly(meta(0, 1, 6));
    // The old epoch's batches are no duplicates any more, and its producer is fenced.
    assertThatThrownBy(() -> state.checkLeaderAppend(PID, 1, 3, 3)).isInstanceOf(InvalidProducerEpochException.class);
    assertThat(state.checkLeaderAppend(PID, 2, 0, 2)).contains(meta(0, 1, 6));
  }

  @Test
  void negative_epochs_or_sequences_of_an_idempotent_producer_are_invalid() {
    assertThatThrownBy(() -> state.checkLeaderAppend(PID, -1, 0, 1)).isInstanceOf(InvalidBatchException.class)
        .hasMessageContaining("producer epoch and base sequence");
    assertThatThrownBy(() -> state.checkLeaderAppend(PID, 0, -1, 1)).isInstanceOf(InvalidBatchException.class);
  }

  @Test
  void producers_are_tracked_independently() {
    leaderAppend(1, 0, 0, 2);
    leaderAppend(2, 4, 0, 1);
    leaderAppend(1, 0, 2, 1);

    assertThat(state.entry(1).orElseThrow().nextSequence()).isEqualTo(3);
    assertThat(state.entry(2).orElseThrow().nextSequence()).isEqualTo(1);
    assertThatThrownBy(() -> state.checkLeaderAppend(2, 4, 3, 1)).isInstanceOf(OutOfOrderSequenceException.class);
  }

  // ---------------------------------------------------------------- the fold (follower appends, replay)

  @Test
  void folding_ignores_producers_that_are_not_idempotent_and_impossible_fields() {
    state.update(-1, -1, -1, -1, 0, 4, TIME);
    state.update(PID, -1, 0, 0, 5, 5, TIME);
    state.update(PID, 0, -1, -1, 6, 6, TIME);
    assertThat(state.entries()).isEmpty();
    assertThat(state.version()).isZero();
  }

  @Test
  void folding_starts_the_window_afresh_on_another_epoch_or_a_sequence_gap() {
    state.update(PID, 0, 0, 1, 0, 1, TIME);
    state.update(PID, 0, 2, 2, 2, 2, TIME);
    assertThat(state.entry(PID).orElseThrow().batches()).hasSize(2);

    state.update(PID, 0, 0, 0, 3, 3, TIME); // a producer that was expired and came back
    assertThat(state.entry(PID).orElseThrow().batches()).containsExactly(new ProducerBatchMetadata(0, 0, 3, 3, TIME));

    state.update(PID, 0, 1, 1, 4, 4, TIME);
    state.update(PID, 3, 9, 9, 5, 5, TIME); // a follower does not check epochs
    ProducerStateEntry entry = state.entry(PID).orElseThrow();
    assertThat(entry.producerEpoch()).isEqualTo(3);
    assertThat(entry.batches()).containsExactly(new ProducerBatchMetadata(9, 9, 5, 5, TIME));
  }

  @Test
  void folding_a_stored_header_uses_its_fields_and_last_offset_delta() {
    BatchAppend append = TestBatches.idempotent(PID, 4, Integer.MAX_VALUE, 3, 10, TIME, 1);
    StoredBatch stored = StoredBatch.build(100, 0, append);
    ByteBuffer shifted = ByteBuffer.allocate(13 + stored.sizeInBytes());
    shifted.position(13).put(stored.buffer());

    state.updateFromHeader(shifted, 13);

    assertThat(state.entry(PID)).contains(new ProducerStateEntry(PID, 4,
        List.of(new ProducerBatchMetadata(Integer.MAX_VALUE, 1, 100, 102, TIME))));
    state.updateFromHeader(StoredBatch.build(103, 0, TestBatches.batch(1, 5, TIME)).buffer(), 0);
    assertThat(state.size()).isOne();
  }

  @Test
  void the_window_keeps_the_last_five_batches_oldest_first() {
    for (int i = 0; i < 8; i++) {
      state.update(PID, 0, i, i, i, i, TIME + i);
    }
    assertThat(state.entry(PID).orElseThrow().batches()).extracting(ProducerBatchMetadata::firstSequence)
        .containsExactly(3, 4, 5, 6, 7);
    assertThat(state.entry(PID).orElseThrow().lastTimestamp()).isEqualTo(TIME + 7);
  }

  // ---------------------------------------------------------------- expiry and eviction

  @Test
  void expiry_forgets_producers_idle_for_the_limit_by_their_last_timestamp() {
    state.update(1, 0, 0, 0, 0, 0, TIME);
    state.update(2, 0, 0, 0, 1, 1, TIME + 500);
    state.update(1, 0, 1, 1, 2, 2, TIME + 1_000); // producer 1 was active again since
    state.update(3, 0, 0, 0, 3, 3, TIME + 200);
    long version = state.version();

    assertThat(state.expire(TIME + 1_199, 1_000)).isZero();
    assertThat(state.version()).isEqualTo(version);
    assertThat(state.expire(TIME + 1_200, 1_000)).isOne(); // exactly the limit: expired, as in Kafka
    assertThat(state.entries()).extracting(ProducerStateEntry::producerId).containsExactly(2L, 1L);
    assertThat(state.version()).isGreaterThan(version);

    assertThat(state.expire(TIME + 1_999, 1_000)).isOne();
    assertThat(state.entries()).extracting(ProducerStateEntry::producerId).containsExactly(1L);
    // A forgotten producer is unknown: it must start again at sequence 0.
    assertThatThrownBy(() -> state.checkLeaderAppend(2, 0, 1, 1)).isInstanceOf(UnknownProducerIdException.class);
    assertThat(state.checkLeaderAppend(2, 0, 0, 1)).isEmpty();
  }

  @Test
  void beyond_the_bound_the_least_recently_appended_producer_is_evicted() {
    ProducerStateManager bounded = new ProducerStateManager("test", 3);
    leaderAppend(bounded, 1, 0, 0, 1);
    leaderAppend(bounded, 2, 0, 0, 1);
    leaderAppend(bounded, 3, 0, 0, 1);
    leaderAppend(bounded, 1, 0, 1, 1); // 1 is now the most recent; 2 the least
    bounded.checkLeaderAppend(2, 0, 1, 1); // a check is no use: it does not count

    leaderAppend(bounded, 4, 0, 0, 1);

    assertThat(bounded.entries()).extracting(ProducerStateEntry::producerId).containsExactly(3L, 1L, 4L);
    assertThatThrownBy(() -> bounded.checkLeaderAppend(2, 0, 1, 1)).isInstanceOf(UnknownProducerIdException.class);
  }

  // ---------------------------------------------------------------- snapshots

  @Test
  void a_snapshot_restores_the_same_state_in_the_same_order() {
    leaderAppend(1, 0, 0, 2);
    leaderAppend(2, 3, 0, 1);
    leaderAppend(1, 0, 2, 2);
    ProducerStateSnapshot snapshot = state.snapshot(nextOffset);

    ProducerStateManager restored = new ProducerStateManager("restored", 100);
    snapshot.entries().forEach(restored::restore);

    assertThat(snapshot.offset()).isEqualTo(5);
    assertThat(restored.entries()).isEqualTo(state.entries());
    assertThat(restored.entries()).extracting(ProducerStateEntry::producerId).containsExactly(2L, 1L);
    assertThat(ProducerStateCheckpointStore.decode(ProducerStateCheckpointStore.encode(snapshot)))
        .isEqualTo(snapshot);
  }
}
