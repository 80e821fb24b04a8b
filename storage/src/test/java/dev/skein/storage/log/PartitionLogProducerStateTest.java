package dev.skein.storage.log;

import dev.skein.storage.state.PartitionCheckpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static dev.skein.storage.log.ProducerStateModel.batchesOf;
import static dev.skein.storage.log.ProducerStateModel.rebuild;
import static dev.skein.storage.log.TestBatches.START_TIME;
import static dev.skein.storage.log.TestBatches.batch;
import static dev.skein.storage.log.TestBatches.config;
import static dev.skein.storage.log.TestBatches.idempotent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The log's idempotent-producer state: leader checks, follower appends, snapshots, reopening, truncation, expiry. */
class PartitionLogProducerStateTest {

  /** Small segments, so that scans and truncation cross segment boundaries. */
  private static final LogConfig CONFIG = config("segment.bytes", "1000", "index.interval.bytes", "200");
  private static final int EPOCH = 0;
  private static final int MAX = ProducerStateManager.DEFAULT_MAX_PRODUCERS;

  @TempDir
  Path tempDir;

  private final MutableClock clock = new MutableClock(START_TIME);
  private final InMemoryProducerStateCheckpoint snapshots = new InMemoryProducerStateCheckpoint();
  private final List<PartitionLog> opened = new ArrayList<>();
  private long timestamp = START_TIME;

  @AfterEach
  void closeLogs() {
    opened.stream().filter(log -> !log.isClosed()).forEach(PartitionLog::close);
  }

  private PartitionLog open(String name, PartitionCheckpoint checkpoint, ProducerStateCheckpoint producerCheckpoint,
                int maxProducers) {
    PartitionLog log = PartitionLog.open(tempDir.resolve(name), CONFIG, checkpoint,
        new InMemoryLeaderEpochCheckpoint(), producerCheckpoint, clock, Runnable::run, maxProducers);
    opened.add(log);
    return log;
  }

  private PartitionLog open() {
    return open("topic-0", PartitionCheckpoint.NONE, snapshots, MAX);
  }

  private PartitionLog reopen(PartitionLog log) {
    log.close();
    return open("topic-0", log.checkpoint(), snapshots, MAX);
  }

  private PartitionLog crashAndReopen(PartitionLog log) {
    PartitionCheckpoint last = log.checkpoint();
    log.abandon();
    return open("topic-0", last, snapshots, MAX);
  }

  private LogAppendResult append(PartitionLog log, long producerId, int epoch, int baseSequence, int records) {
    return log.appendAsLeader(idempotent(producerId, epoch, baseSequence, records, 60, ++timestamp, timestamp), EPOCH);
  }

  private static void assertMatchesRebuild(PartitionLog log) {
    assertThat(log.producerStates()).isEqualTo(rebuild(log, MAX));
  }

  // ---------------------------------------------------------------- leader appends

  @Test
  void a_retried_batch_returns_the_original_offsets_and_writes_nothing() {
    PartitionLog log = open();
    LogAppendResult first = append(log, 1, 0, 0, 3);             // 0..2
    log.appendAsLeader(batch(2, 60, ++timestamp), EPOCH);        // 3..4, not idempotent
    LogAppendResult second = append(log, 1, 0, 3, 2);            // 5..6
    long logEnd = log.logEndOffset();
    long size = log.sizeInBytes();
    List<StoredBatch> before = batchesOf(log);

    LogAppendResult retryOfFirst = append(log, 1, 0, 0, 3);
    LogAppendResult retryOfSecond = append(log, 1, 0, 3, 2);

    assertThat(first.duplicate()).isFalse();
    assertThat(retryOfFirst.duplicate()).isTrue();
    assertThat(retryOfFirst.firstOffset()).isZero();
    assertThat(retryOfFirst.lastOffset()).isEqualTo(2);
    assertThat(retryOfFirst.maxTimestamp()).isEqualTo(first.maxTimestamp());
    assertThat(retryOfFirst.logAppendTimeMs()).isEqualTo(LogAppendResult.NO_TIMESTAMP);
    assertThat(retryOfFirst.sizeInBytes()).isZero();
    assertThat(retryOfSecond.duplicate()).isTrue();
    assertThat(retryOfSecond.firstOffset()).isEqualTo(second.firstOffset()).isEqualTo(5);
    assertThat(retryOfSecond.lastOffset()).isEqualTo(second.lastOffset()).isEqualTo(6);
    assertThat(log.logEndOffset()).isEqualTo(logEnd);
    assertThat(log.sizeInBytes()).isEqualTo(size);
    assertThat(batchesOf(log)).isEqualTo(before);
    assertThat(log.producerState(1).orElseThrow().lastOffset()).isEqualTo(6);

    // Non-idempotent batches are never deduplicated.
    assertThat(log.appendAsLeader(batch(2, 60, timestamp), EPOCH).duplicate()).isFalse();
    assertThat(log.logEndOffset()).isEqualTo(logEnd + 2);
  }

  @Test
  void a_retry_on_a_log_append_time_topic_gets_the_time_the_original_was_stamped_with() {
    PartitionLog log = open();
    BatchAppend append = new BatchAppend(2, 5, 6, 9, 0, 0, 0, BatchLayout.TIMESTAMP_TYPE_LOG_APPEND_TIME, 0,
        ByteBuffer.wrap(new byte[20]));
    LogAppendResult original = log.appendAsLeader(append, EPOCH);
    clock.advance(java.time.Duration.ofMinutes(1));

    LogAppendResult retry = log.appendAsLeader(append, EPOCH);

    assertThat(original.logAppendTimeMs()).isEqualTo(START_TIME);
    assertThat(retry.duplicate()).isTrue();
    assertThat(retry.logAppendTimeMs()).isEqualTo(START_TIME);
    assertThat(retry.maxTimestamp()).isEqualTo(START_TIME);
  }

  @Test
  void refused_batches_write_nothing_not_even_a_new_leader_epoch() {
    PartitionLog log = open();
    append(log, 1, 5, 0, 2);
    append(log, 1, 5, 2, 2);
    long logEnd = log.logEndOffset();
    List<EpochEntry> epochs = log.epochEntries();
    ProducerStateEntry state = log.producerState(1).orElseThrow();

    assertThatThrownBy(() -> log.appendAsLeader(idempotent(1, 4, 4, 1, 10, ++timestamp, 1), EPOCH + 1))
        .isInstanceOf(InvalidProducerEpochException.class);
    assertThatThrownBy(() -> log.appendAsLeader(idempotent(1, 5, 5, 1, 10, ++timestamp, 1), EPOCH + 1))
        .isInstanceOf(OutOfOrderSequenceException.class).hasMessageContaining("expected 4, received 5");
    assertThatThrownBy(() -> log.appendAsLeader(idempotent(1, 6, 3, 1, 10, ++timestamp, 1), EPOCH + 1))
        .isInstanceOf(OutOfOrderSequenceException.class).hasMessageContaining("expected 0, received 3");
    assertThatThrownBy(() -> log.appendAsLeader(idempotent(2, 0, 1, 1, 10, ++timestamp, 1), EPOCH + 1))
        .isInstanceOf(UnknownProducerIdException.class);
    assertThatThrownBy(() -> log.appendAsLeader(idempotent(2, 0, -1, 1, 10, ++timestamp, 1), EPOCH + 1))
        .isInstanceOf(InvalidBatchException.class);

    assertThat(log.logEndOffset()).isEqualTo(logEnd);
    assertThat(log.epochEntries()).isEqualTo(epochs);
    assertThat(log.producerState(1)).contains(state);
    assertThat(log.producerState(2)).isEmpty();
    // A restarted producer (new epoch, sequence 0) is accepted.
    assertThat(append(log, 1, 6, 0, 1).firstOffset()).isEqualTo(logEnd);
    assertThat(log.producerState(1).orElseThrow().producerEpoch()).isEqualTo(6);
  }

  // ---------------------------------------------------------------- followers

  @Test
  void follower_appends_build_the_leaders_state_and_a_follower_that_takes_over_keeps_deduplicating() {
    PartitionLog leader = open("leader-0", PartitionCheckpoint.NONE, new InMemoryProducerStateCheckpoint(), MAX);
    PartitionLog follower = open("follower-0", PartitionCheckpoint.NONE, new InMemoryProducerStateCheckpoint(), MAX);
    int epochOfTwo = 3;
    int sequenceOfTwo = 0;
    for (int i = 0; i < 8; i++) {
      append(leader, 1, 0, 2 * i, 2);
      append(leader, 2, epochOfTwo, sequenceOfTwo++, 1);
      if (i == 4) {
        epochOfTwo = 4; // producer 2 restarts
        sequenceOfTwo = 0;
        append(leader, 2, epochOfTwo, sequenceOfTwo++, 1);
        assertThat(append(leader, 1, 0, 0, 2).duplicate()).isTrue(); // not in the log
      }
      leader.appendAsLeader(batch(1, 30, ++timestamp), EPOCH);
    }
    List<StoredBatch> batches = batchesOf(leader);
    // Fetched in three responses of several batches each.
    int third = batches.size() / 3;
    follower.appendAsFollower(PartitionLogTest.entries(batches.subList(0, third).toArray(StoredBatch[]::new)));
    follower.appendAsFollower(PartitionLogTest.entries(batches.subList(third, 2 * third).toArray(StoredBatch[]::new)));
    follower.appendAsFollower(PartitionLogTest.entries(batches.subList(2 * third, batches.size())
        .toArray(StoredBatch[]::new)));

    assertThat(follower.producerStates()).isEqualTo(leader.producerStates()).isNotEmpty();
    ProducerStateEntry two = follower.producerState(2).orElseThrow();
    assertThat(two.producerEpoch()).isEqualTo(4);
    assertThat(two.nextSequence()).isEqualTo(4);

    // The follower becomes leader: the producer retries its last batch, then goes on.
    LogAppendResult retry = append(follower, 1, 0, 14, 2);
    assertThat(retry.duplicate()).isTrue();
    assertThat(retry.lastOffset()).isEqualTo(leader.producerState(1).orElseThrow().lastOffset());
    assertThatThrownBy(() -> append(follower, 2, 4, 5, 1)).isInstanceOf(OutOfOrderSequenceException.class);
    assertThat(append(follower, 2, 4, 4, 1).duplicate()).isFalse();
  }

  // ---------------------------------------------------------------- persistence

  @Test
  void a_clean_reopen_loads_the_snapshot_written_at_close_and_replays_nothing() {
    PartitionLog log = open();
    for (int i = 0; i < 20; i++) {
      append(log, i % 3, 1, i / 3, 1);
    }
    List<ProducerStateEntry> before = log.producerStates();

    PartitionLog reopened = reopen(log);

    ProducerStateLoader.Report report = reopened.producerLoadReport();
    assertThat(report.snapshotOffset()).isEqualTo(reopened.logEndOffset()).isEqualTo(20);
    assertThat(report.batchesReplayed()).isZero();
    assertThat(reopened.producerStates()).isEqualTo(before).hasSize(3);
    assertThat(reopened.snapshotProducerState()).as("nothing changed since").isFalse();
    assertThat(append(reopened, 0, 1, 7, 1).duplicate()).isFalse();
    assertThat(append(reopened, 0, 1, 7, 1).duplicate()).isTrue();
  }

  @Test
  void without_stored_snapshots_the_state_is_rebuilt_from_every_batch_header() {
    PartitionLog log = open();
    for (int i = 0; i < 12; i++) {
      append(log, i % 2, 0, i / 2, 1);
    }
    log.appendAsLeader(batch(1, 30, ++timestamp), EPOCH);
    List<ProducerStateEntry> before = log.producerStates();
    log.close();

    PartitionLog reopened = open("topic-0", log.checkpoint(), new InMemoryProducerStateCheckpoint(), MAX);

    assertThat(reopened.producerLoadReport().snapshotLoaded()).isFalse();
    assertThat(reopened.producerLoadReport().batchesReplayed()).isEqualTo(13);
    assertThat(reopened.producerStates()).isEqualTo(before);
  }

  @Test
  void a_crash_after_the_last_snapshot_is_repaired_by_replaying_the_headers_after_it() {
    PartitionLog log = open();
    for (int i = 0; i < 10; i++) {
      append(log, i % 2, 0, i / 2, 1);
    }
    assertThat(log.snapshotProducerState()).isTrue();
    assertThat(log.snapshotProducerState()).as("nothing changed since").isFalse();
    long snapshotAt = log.logEndOffset();
    append(log, 0, 0, 5, 1);
    append(log, 2, 0, 0, 3);
    log.appendAsLeader(batch(1, 30, ++timestamp), EPOCH);
    append(log, 1, 0, 5, 1);
    List<ProducerStateEntry> before = log.producerStates();

    PartitionLog recovered = crashAndReopen(log);

    assertThat(recovered.producerLoadReport().snapshotOffset()).isEqualTo(snapshotAt);
    assertThat(recovered.producerLoadReport().batchesReplayed()).isEqualTo(4);
    assertThat(recovered.producerStates()).isEqualTo(before);
    assertMatchesRebuild(recovered);
    assertThat(append(recovered, 2, 0, 0, 3).duplicate()).isTrue();
  }

  @Test
  void snapshots_above_the_recovered_log_end_or_unreadable_are_deleted_and_not_used() {
    PartitionLog log = open();
    append(log, 1, 0, 0, 1);
    log.snapshotProducerState(); // at 1
    append(log, 1, 0, 1, 1);
    log.snapshotProducerState(); // at 2
    append(log, 1, 0, 2, 1);
    log.close();                 // at 3
    // As if a crash had lost data the snapshot at 3 describes, and another snapshot had been damaged.
    snapshots.write(new ProducerStateSnapshot(50, List.of(ProducerStateEntry.first(9, 0,
        new ProducerBatchMetadata(0, 0, 40, 40, 0)))), List.of());
    Set<Long> unreadable = new HashSet<>(List.of(3L));
    ProducerStateCheckpoint damaged = new ProducerStateCheckpoint() {
      @Override
      public List<Long> offsets() {
        return snapshots.offsets();
      }

      @Override
      public Optional<ProducerStateSnapshot> read(long offset) {
        return unreadable.contains(offset) ? Optional.empty() : snapshots.read(offset);
      }

      @Override
      public void write(ProducerStateSnapshot snapshot, Collection<Long> obsolete) {
        snapshots.write(snapshot, obsolete);
      }

      @Override
      public void delete(Collection<Long> offsets) {
        snapshots.delete(offsets);
      }
    };

    PartitionLog reopened = open("topic-0", log.checkpoint(), damaged, MAX);

    assertThat(reopened.producerLoadReport().snapshotsDeleted()).containsExactlyInAnyOrder(50L, 3L);
    assertThat(reopened.producerLoadReport().snapshotOffset()).isEqualTo(2);
    assertThat(reopened.producerLoadReport().batchesReplayed()).isOne();
    assertThat(snapshots.offsets()).containsExactly(1L, 2L);
    assertThat(reopened.producerState(9)).isEmpty();
    assertMatchesRebuild(reopened);
  }

  @Test
  void old_snapshots_are_dropped_except_the_newest_three_and_the_newest_at_or_below_the_high_watermark() {
    PartitionLog log = open();
    List<Long> taken = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      append(log, 1, 0, i, 1);
      log.snapshotProducerState();
      taken.add(log.logEndOffset());
      if (i == 1) {
        log.updateHighWatermark(log.logEndOffset());
      }
    }
    assertThat(taken).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    assertThat(snapshots.offsets()).containsExactly(2L, 4L, 5L, 6L);

    log.updateHighWatermark(log.logEndOffset());
    append(log, 1, 0, 6, 1);
    log.snapshotProducerState();
    assertThat(snapshots.offsets()).containsExactly(5L, 6L, 7L);
  }

  // ---------------------------------------------------------------- truncation

  @Test
  void after_truncation_the_state_is_that_of_the_remaining_log_rebuilt_from_an_older_snapshot() {
    PartitionLog log = open();
    for (int i = 0; i < 30; i++) {
      append(log, i % 4, 2, i / 4, 1);
      if (i % 6 == 5) {
        log.snapshotProducerState(); // at 6, 12, 18, 24, 30; the last three are kept
      }
    }
    assertThat(snapshots.offsets()).containsExactly(18L, 24L, 30L);
    List<StoredBatch> prefix = batchesOf(log).subList(0, 20);

    long newEnd = log.truncateTo(20);

    assertThat(newEnd).isEqualTo(20);
    assertThat(log.producerStates()).isEqualTo(rebuild(prefix, MAX));
    assertThat(log.producerLoadReport().snapshotOffset()).isEqualTo(18);
    assertThat(log.producerLoadReport().batchesReplayed()).isEqualTo(2);
    assertThat(snapshots.offsets()).as("snapshots above the new end are gone").containsExactly(18L);
    // Producer 3's last batch (sequence 6, offset 27) was truncated away: its retry is appended anew.
    assertThat(log.producerState(3).orElseThrow().lastSequence()).isEqualTo(4);
    LogAppendResult retried = append(log, 3, 2, 5, 1);
    assertThat(retried.duplicate()).isFalse();
    assertThat(retried.firstOffset()).isEqualTo(20);

    log.truncateTo(10); // below every snapshot: rebuilt from the log start
    assertThat(log.producerLoadReport().snapshotLoaded()).isFalse();
    assertThat(log.producerLoadReport().batchesReplayed()).isEqualTo(10);
    assertThat(snapshots.offsets()).isEmpty();
    assertMatchesRebuild(log);

    PartitionLog reopened = reopen(log);
    assertThat(reopened.producerLoadReport().batchesReplayed()).isZero();
    assertMatchesRebuild(reopened);
  }

  @Test
  void truncation_at_or_above_the_log_end_keeps_the_state() {
    PartitionLog log = open();
    append(log, 1, 0, 0, 2);
    List<ProducerStateEntry> before = log.producerStates();
    log.truncateTo(5);
    assertThat(log.producerStates()).isEqualTo(before);
  }

  @Test
  void emptying_the_log_forgets_every_producer_and_every_snapshot() {
    PartitionLog log = open();
    append(log, 1, 0, 0, 2);
    append(log, 2, 0, 0, 2);
    log.snapshotProducerState();

    log.truncateFullyAndStartAt(100);

    assertThat(log.producerStates()).isEmpty();
    assertThat(snapshots.offsets()).isEmpty();
    assertThatThrownBy(() -> append(log, 1, 0, 2, 1)).isInstanceOf(UnknownProducerIdException.class);
    PartitionLog reopened = reopen(log);
    assertThat(reopened.producerStates()).isEmpty();
    assertThat(append(reopened, 1, 0, 0, 1).firstOffset()).isEqualTo(100);
  }

  // ---------------------------------------------------------------- expiry and eviction

  @Test
  void idle_producers_expire_and_must_then_start_again_at_sequence_zero() {
    PartitionLog log = open();
    long maxIdle = 60_000;
    append(log, 1, 0, 0, 1);        // max_timestamp START_TIME + 1
    timestamp += 30_000;
    append(log, 2, 0, 0, 1);        // 30 s later

    assertThat(log.expireProducers(START_TIME + 1 + maxIdle - 1, maxIdle)).isZero();
    assertThat(log.expireProducers(START_TIME + 1 + maxIdle, maxIdle)).isOne();

    assertThat(log.producerState(1)).isEmpty();
    assertThat(log.producerState(2)).isPresent();
    assertThatThrownBy(() -> append(log, 1, 0, 1, 1)).isInstanceOf(UnknownProducerIdException.class);
    append(log, 1, 0, 0, 1);
    assertThat(log.producerState(1).orElseThrow().batches()).hasSize(1);
    // The fold starts a producer afresh at a sequence gap, so a rebuild agrees.
    assertMatchesRebuild(log);
    assertThat(log.snapshotProducerState()).isTrue();
    PartitionLog reopened = crashAndReopen(log);
    assertThat(reopened.producerLoadReport().batchesReplayed()).isZero();
    assertThat(reopened.producerState(1).orElseThrow().batches()).hasSize(1);
  }

  @Test
  void expiry_alone_changes_the_state_and_is_snapshotted() {
    PartitionLog log = open();
    append(log, 1, 0, 0, 1);
    log.snapshotProducerState();
    log.expireProducers(timestamp + 10, 10);
    assertThat(log.snapshotProducerState()).isTrue();
    assertThat(crashAndReopen(log).producerStates()).isEmpty();
  }

  @Test
  void beyond_the_bound_the_least_recently_active_producers_are_evicted_and_rebuilds_agree() {
    PartitionLog log = open("topic-0", PartitionCheckpoint.NONE, snapshots, 2);
    append(log, 1, 0, 0, 1);
    append(log, 2, 0, 0, 1);
    append(log, 1, 0, 1, 1);
    append(log, 3, 0, 0, 1); // evicts 2

    assertThat(log.producerStates()).extracting(ProducerStateEntry::producerId).containsExactly(1L, 3L);
    assertThatThrownBy(() -> append(log, 2, 0, 1, 1)).isInstanceOf(UnknownProducerIdException.class);
    log.close();
    PartitionLog rebuilt = open("topic-0", log.checkpoint(), new InMemoryProducerStateCheckpoint(), 2);
    assertThat(rebuilt.producerStates()).isEqualTo(log.producerStates()).isEqualTo(rebuild(rebuilt, 2));
  }
}
