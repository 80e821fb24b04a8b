package dev.skein.storage.log;

import dev.skein.storage.state.PartitionCheckpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static dev.skein.storage.log.PartitionLogTest.entries;
import static dev.skein.storage.log.TestBatches.START_TIME;
import static dev.skein.storage.log.TestBatches.batch;
import static dev.skein.storage.log.TestBatches.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The log's leader-epoch cache: kept by appends and truncation, persisted, and reconciled when opened. */
class PartitionLogLeaderEpochTest {

  /** Small segments, so that scans and truncation cross segment boundaries. */
  private static final LogConfig CONFIG = config("segment.bytes", "1000", "index.interval.bytes", "200");

  @TempDir
  Path tempDir;

  private final MutableClock clock = new MutableClock(START_TIME);
  private final TestEpochCheckpoint checkpoint = new TestEpochCheckpoint();
  private final List<PartitionLog> opened = new ArrayList<>();
  private long timestamp = START_TIME;

  @AfterEach
  void closeLogs() {
    opened.stream().filter(log -> !log.isClosed()).forEach(PartitionLog::close);
  }

  private PartitionLog open(PartitionCheckpoint partitionCheckpoint) {
    PartitionLog log = PartitionLog.open(tempDir.resolve("topic-0"), CONFIG, partitionCheckpoint, checkpoint, clock);
    opened.add(log);
    return log;
  }

  private PartitionLog open() {
    return open(PartitionCheckpoint.NONE);
  }

  /** Closes cleanly and opens again with the same checkpoints. */
  private PartitionLog reopen(PartitionLog log) {
    log.close();
    return open(log.checkpoint());
  }

  /** Drops the log as a crash would (what was written stays in the page cache) and opens it again. */
  private PartitionLog crashAndReopen(PartitionLog log) {
    PartitionCheckpoint last = log.checkpoint();
    log.abandon();
    return open(last);
  }

  /** Appends {@code count} leader batches of 3 records (200 bytes: five per segment). */
  private void appendAsLeader(PartitionLog log, int epoch, int count) {
    for (int i = 0; i < count; i++) {
      log.appendAsLeader(batch(3, 113, ++timestamp), epoch);
    }
  }

  private StoredBatch followerBatch(long baseOffset, int epoch) {
    return StoredBatch.build(baseOffset, epoch, batch(2, 50, ++timestamp));
  }

  /** Follower batches continuing from {@code baseOffset}, one per epoch given. */
  private ByteBuffer followerBatches(long baseOffset, int... epochs) {
    StoredBatch[] batches = new StoredBatch[epochs.length];
    for (int i = 0; i < epochs.length; i++) {
      batches[i] = followerBatch(baseOffset + 2L * i, epochs[i]);
    }
    return entries(batches);
  }

  private static EpochEntry e(int epoch, long startOffset) {
    return new EpochEntry(epoch, startOffset);
  }

  // ---------------------------------------------------------------- appends

  @Test
  void leader_appends_with_rising_epochs_populate_the_cache() {
    PartitionLog log = open();
    assertThat(log.latestEpoch()).isEmpty();
    assertThat(log.lastBatchEpoch()).isEqualTo(-1);
    assertThat(checkpoint.read()).contains(List.of()); // a new log stores "no epochs" at once
    int writesAtOpen = checkpoint.writes();

    appendAsLeader(log, 3, 2);
    appendAsLeader(log, 5, 3);
    appendAsLeader(log, 8, 1);

    assertThat(log.epochEntries()).containsExactly(e(3, 0), e(5, 6), e(8, 15));
    assertThat(log.latestEpoch()).hasValue(8);
    assertThat(log.lastBatchEpoch()).isEqualTo(8);
    assertThat(log.epochForOffset(14)).hasValue(5);
    assertThat(checkpoint.read()).contains(log.epochEntries());
    assertThat(checkpoint.writes() - writesAtOpen).isEqualTo(3); // once per new epoch, not per batch
  }

  @Test
  void a_new_epoch_is_persisted_before_its_first_batch_is_written() {
    PartitionLog log = open();
    appendAsLeader(log, 1, 2);
    List<Long> logEndAtWrite = new ArrayList<>();
    checkpoint.onWrite(entries -> logEndAtWrite.add(log.logEndOffset()));

    appendAsLeader(log, 2, 1);
    log.appendAsFollower(followerBatches(9, 2, 4));

    assertThat(logEndAtWrite).containsExactly(6L, 9L);
    assertThat(log.epochEntries()).containsExactly(e(1, 0), e(2, 6), e(4, 11));
  }

  @Test
  void a_leader_append_in_an_epoch_older_than_the_log_holds_is_fenced() {
    PartitionLog log = open();
    appendAsLeader(log, 4, 1);
    log.appendAsFollower(followerBatches(3, 6));

    assertThatThrownBy(() -> appendAsLeader(log, 5, 1)).isInstanceOfSatisfying(FencedLeaderEpochException.class,
        e -> {
          assertThat(e.leaderEpoch()).isEqualTo(5);
          assertThat(e.latestEpoch()).isEqualTo(6);
        });
    assertThat(log.logEndOffset()).isEqualTo(5);
    assertThat(log.lastBatchEpoch()).isEqualTo(6);
    appendAsLeader(log, 6, 1);
    assertThat(log.epochEntries()).containsExactly(e(4, 0), e(6, 3));
  }

  @Test
  void a_follower_append_caches_each_rising_epoch_of_its_batches_with_one_write() {
    PartitionLog log = open();
    int writesAtOpen = checkpoint.writes();

    log.appendAsFollower(followerBatches(0, 2, 2, 4, 3, 7, 7));

    assertThat(log.epochEntries()).containsExactly(e(2, 0), e(4, 4), e(7, 8));
    assertThat(log.lastBatchEpoch()).isEqualTo(7);
    assertThat(checkpoint.writes() - writesAtOpen).isOne();

    log.appendAsFollower(followerBatches(12, 6, 7, 9));
    assertThat(log.epochEntries()).containsExactly(e(2, 0), e(4, 4), e(7, 8), e(9, 16));
    assertThat(log.lastBatchEpoch()).isEqualTo(9);
  }

  @Test
  void a_refused_follower_append_leaves_the_cache_alone() {
    PartitionLog log = open();
    log.appendAsFollower(followerBatches(0, 1));
    assertThatThrownBy(() -> log.appendAsFollower(followerBatches(5, 3)))
        .isInstanceOf(UnexpectedAppendOffsetException.class);
    assertThat(log.epochEntries()).containsExactly(e(1, 0));
    assertThat(log.lastBatchEpoch()).isEqualTo(1);
  }

  // ---------------------------------------------------------------- a new leader's epoch

  @Test
  void a_new_leader_caches_its_epoch_at_the_log_end_before_writing() {
    PartitionLog log = open();
    appendAsLeader(log, 1, 2);
    appendAsLeader(log, 3, 2);

    assertThat(log.assignEpoch(5, 12)).isTrue();

    assertThat(log.epochEntries()).containsExactly(e(1, 0), e(3, 6), e(5, 12));
    assertThat(log.latestEpoch()).hasValue(5);
    assertThat(log.lastBatchEpoch()).isEqualTo(3);
    assertThat(log.endOffsetForEpoch(3)).isEqualTo(new EpochEndOffset(3, 12));
    assertThat(log.endOffsetForEpoch(4)).isEqualTo(new EpochEndOffset(3, 12));
    assertThat(log.endOffsetForEpoch(5)).isEqualTo(new EpochEndOffset(5, 12));
    assertThat(log.endOffsetForEpoch(1)).isEqualTo(new EpochEndOffset(1, 6));
    assertThat(log.endOffsetForEpoch(0)).isEqualTo(EpochEndOffset.UNDEFINED);
    assertThat(log.endOffsetForEpoch(6)).isEqualTo(EpochEndOffset.UNDEFINED);

    assertThat(log.assignEpoch(5, 12)).isFalse();
    assertThat(log.assignEpoch(4, 12)).isFalse();
    assertThatThrownBy(() -> log.assignEpoch(6, 11)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("log end offset 12");

    appendAsLeader(log, 5, 2);
    assertThat(log.epochEntries()).containsExactly(e(1, 0), e(3, 6), e(5, 12));
    assertThat(log.endOffsetForEpoch(5)).isEqualTo(new EpochEndOffset(5, 18));
    assertThat(log.lastBatchEpoch()).isEqualTo(5);
  }

  @Test
  void a_second_new_epoch_without_writes_replaces_the_first() {
    PartitionLog log = open();
    appendAsLeader(log, 1, 1);
    log.assignEpoch(2, 3);
    log.assignEpoch(4, 3);
    assertThat(log.epochEntries()).containsExactly(e(1, 0), e(4, 3));
  }

  @Test
  void a_new_epoch_without_writes_is_dropped_by_a_follower_append_in_an_older_epoch() {
    PartitionLog log = open();
    appendAsLeader(log, 1, 2);
    log.assignEpoch(5, 6); // led in epoch 5 but wrote nothing; now follows a leader of epoch 6

    log.appendAsFollower(followerBatches(6, 1, 1, 6));

    assertThat(log.epochEntries()).containsExactly(e(1, 0), e(6, 10));
    assertThat(checkpoint.read()).contains(log.epochEntries());
  }

  @Test
  void a_new_epoch_without_writes_is_dropped_by_truncation_to_the_log_end_and_by_reopening() {
    PartitionLog log = open();
    appendAsLeader(log, 1, 2);
    log.assignEpoch(5, 6);

    assertThat(log.truncateTo(6)).isEqualTo(6);
    assertThat(log.epochEntries()).containsExactly(e(1, 0));
    assertThat(log.truncateTo(100)).isEqualTo(6);

    log.assignEpoch(5, 6);
    PartitionLog reopened = reopen(log);
    assertThat(reopened.epochEntries()).containsExactly(e(1, 0));
    assertThat(checkpoint.read()).contains(List.of(e(1, 0)));
  }

  // ---------------------------------------------------------------- truncation

  @Test
  void truncation_trims_the_cache_to_the_new_log_end() {
    PartitionLog log = open();
    appendAsLeader(log, 1, 4); // offsets 0..11
    appendAsLeader(log, 2, 4); // 12..23
    appendAsLeader(log, 4, 4); // 24..35
    assertThat(log.segmentBaseOffsets()).hasSizeGreaterThan(2);

    assertThat(log.truncateTo(30)).isEqualTo(30);
    assertThat(log.epochEntries()).containsExactly(e(1, 0), e(2, 12), e(4, 24));
    assertThat(log.lastBatchEpoch()).isEqualTo(4);

    assertThat(log.truncateTo(26)).isEqualTo(24); // the whole batch 24..26 goes, and with it epoch 4
    assertThat(log.epochEntries()).containsExactly(e(1, 0), e(2, 12));
    assertThat(log.lastBatchEpoch()).isEqualTo(2);
    assertThat(log.latestEpoch()).hasValue(2);

    assertThat(log.truncateTo(12)).isEqualTo(12);
    assertThat(log.epochEntries()).containsExactly(e(1, 0));
    assertThat(log.lastBatchEpoch()).isEqualTo(1);
    assertThat(checkpoint.read()).contains(List.of(e(1, 0)));

    appendAsLeader(log, 5, 1);
    assertThat(log.epochEntries()).containsExactly(e(1, 0), e(5, 12));
    assertThat(log.truncateTo(0)).isZero();
    assertThat(log.epochEntries()).isEmpty();
    assertThat(log.lastBatchEpoch()).isEqualTo(-1);
  }

  @Test
  void truncation_at_a_segment_boundary_finds_the_last_batch_in_the_previous_segment() {
    PartitionLog log = open();
    appendAsLeader(log, 1, 5); // offsets 0..14 fill the first segment
    appendAsLeader(log, 2, 5);
    long boundary = log.segmentBaseOffsets().get(1);
    assertThat(boundary).isEqualTo(15);

    log.truncateTo(boundary);

    assertThat(log.segmentBaseOffsets()).last().isEqualTo(boundary);
    assertThat(log.lastBatchEpoch()).isEqualTo(1);
    assertThat(log.epochEntries()).containsExactly(e(1, 0));
  }

  @Test
  void truncating_fully_empties_the_cache() {
    PartitionLog log = open();
    appendAsLeader(log, 1, 2);
    appendAsLeader(log, 2, 2);

    log.truncateFullyAndStartAt(100);

    assertThat(log.epochEntries()).isEmpty();
    assertThat(log.lastBatchEpoch()).isEqualTo(-1);
    assertThat(checkpoint.read()).contains(List.of());
    appendAsLeader(log, 3, 1);
    assertThat(log.epochEntries()).containsExactly(e(3, 100));
    assertThat(reopen(log).epochEntries()).containsExactly(e(3, 100));
  }

  // ---------------------------------------------------------------- reopening

  @Test
  void a_clean_reopen_keeps_the_cache_without_scanning_or_writing() {
    PartitionLog log = open();
    appendAsLeader(log, 1, 10);
    appendAsLeader(log, 2, 10);
    appendAsLeader(log, 7, 10);
    List<EpochEntry> before = log.epochEntries();
    int writes = checkpoint.writes();

    PartitionLog reopened = reopen(log);

    assertThat(reopened.epochEntries()).isEqualTo(before).containsExactly(e(1, 0), e(2, 30), e(7, 60));
    assertThat(reopened.lastBatchEpoch()).isEqualTo(7);
    assertThat(reopened.epochLoadReport()).isEqualTo(new LeaderEpochLoader.Report(true, false, -1, 0));
    assertThat(checkpoint.writes()).isEqualTo(writes);

    PartitionLog afterCrash = crashAndReopen(reopened);
    assertThat(afterCrash.epochEntries()).isEqualTo(before);
    assertThat(afterCrash.epochLoadReport().scanned()).isFalse();
  }

  @Test
  void a_crash_that_lost_the_cache_write_of_an_append_is_repaired_from_the_batch_headers_after_the_last_entry() {
    PartitionLog log = open();
    appendAsLeader(log, 1, 10); // offsets 0..29
    appendAsLeader(log, 2, 5);  // 30..44
    checkpoint.dropWrites(true); // the state store never got the next epoch
    appendAsLeader(log, 3, 2);  // 45..50
    log.appendAsFollower(followerBatches(51, 3, 5)); // 51..54
    checkpoint.dropWrites(false);
    assertThat(checkpoint.read()).contains(List.of(e(1, 0), e(2, 30)));

    PartitionLog reopened = crashAndReopen(log);

    assertThat(reopened.epochEntries()).containsExactly(e(1, 0), e(2, 30), e(3, 45), e(5, 53));
    assertThat(checkpoint.read()).contains(reopened.epochEntries());
    LeaderEpochLoader.Report report = reopened.epochLoadReport();
    assertThat(report.scannedFromOffset()).isEqualTo(30); // from the last entry it could trust
    assertThat(report.batchesScanned()).isEqualTo(5 + 2 + 2);
    assertThat(report.changed()).isTrue();
  }

  @Test
  void a_missing_stored_cache_is_rebuilt_from_every_batch_header() {
    PartitionLog log = open();
    appendAsLeader(log, 0, 3);
    log.appendAsFollower(followerBatches(9, 0, 2, 1, 4));
    appendAsLeader(log, 6, 3);
    List<EpochEntry> expected = List.of(e(0, 0), e(2, 11), e(4, 15), e(6, 17));
    assertThat(log.epochEntries()).isEqualTo(expected);
    log.close();
    checkpoint.forget(); // a data directory from before the cache existed

    PartitionLog reopened = open(log.checkpoint());

    assertThat(reopened.epochEntries()).isEqualTo(expected);
    assertThat(reopened.epochLoadReport()).isEqualTo(new LeaderEpochLoader.Report(false, true, 0, 3 + 4 + 3));
    assertThat(checkpoint.read()).contains(expected);
  }

  @Test
  void a_log_opened_without_a_checkpoint_rebuilds_its_cache_every_time() {
    PartitionLog log = PartitionLog.open(tempDir.resolve("plain-0"), CONFIG, PartitionCheckpoint.NONE, clock);
    opened.add(log);
    appendAsLeader(log, 2, 3);
    appendAsLeader(log, 3, 1);
    log.close();

    PartitionLog reopened = PartitionLog.open(tempDir.resolve("plain-0"), CONFIG, log.checkpoint(), clock);
    opened.add(reopened);

    assertThat(reopened.epochEntries()).containsExactly(e(2, 0), e(3, 9));
    assertThat(reopened.epochLoadReport().storedFound()).isFalse();
  }

  @Test
  void entries_beyond_the_recovered_log_are_dropped_on_open() throws IOException {
    PartitionLog log = open();
    appendAsLeader(log, 1, 3);
    appendAsLeader(log, 2, 3); // 9..17, the last batch 15..17
    // A crash after the cache write of the next epoch but before its batch: the entry is at the log end.
    checkpoint.store(List.of(e(1, 0), e(2, 9), e(3, 18)));
    log.abandon();
    // ... and the crash tore the last batch, which recovery cuts off.
    Path lastSegment = tempDir.resolve("topic-0").resolve(LogSegment.fileStem(log.segmentBaseOffsets()
        .get(log.segmentBaseOffsets().size() - 1)) + LogSegment.LOG_SUFFIX);
    try (FileChannel channel = FileChannel.open(lastSegment, StandardOpenOption.WRITE)) {
      channel.truncate(channel.size() - 10);
    }

    PartitionLog reopened = open(PartitionCheckpoint.NONE);

    assertThat(reopened.logEndOffset()).isEqualTo(15);
    assertThat(reopened.epochEntries()).containsExactly(e(1, 0), e(2, 9));
    assertThat(reopened.lastBatchEpoch()).isEqualTo(2);
    assertThat(checkpoint.read()).contains(List.of(e(1, 0), e(2, 9)));
    assertThat(reopened.epochLoadReport().scanned()).isFalse();
  }

  @Test
  void a_truncation_whose_cache_write_was_lost_is_reconciled_on_open() {
    PartitionLog log = open();
    appendAsLeader(log, 1, 3);
    appendAsLeader(log, 2, 3);
    appendAsLeader(log, 3, 3);
    checkpoint.dropWrites(true);
    log.truncateTo(12);
    checkpoint.dropWrites(false);

    PartitionLog reopened = crashAndReopen(log);

    assertThat(reopened.epochEntries()).containsExactly(e(1, 0), e(2, 9));
    assertThat(checkpoint.read()).contains(List.of(e(1, 0), e(2, 9)));
    assertThat(reopened.epochLoadReport().scanned()).isFalse();
  }

  @Test
  void a_stored_latest_entry_that_does_not_point_at_its_batch_is_rebuilt_from_the_last_one_that_does() {
    PartitionLog log = open();
    appendAsLeader(log, 1, 3);
    appendAsLeader(log, 2, 3); // 9..17
    log.truncateTo(12);
    appendAsLeader(log, 2, 1); // 12..14
    appendAsLeader(log, 4, 2); // 15..20
    log.close();
    // Lost writes left an older history: epoch 2 at 12 (a batch of epoch 2, but not its first) and 3 at 15.
    checkpoint.store(List.of(e(1, 0), e(2, 12), e(3, 15)));

    PartitionLog reopened = open(log.checkpoint());

    assertThat(reopened.epochEntries()).containsExactly(e(1, 0), e(2, 9), e(4, 15));
    assertThat(reopened.epochLoadReport().scannedFromOffset()).isZero();
  }

  @Test
  void the_earliest_entry_moves_up_to_the_log_start() {
    PartitionLog log = open();
    log.truncateFullyAndStartAt(50);
    appendAsLeader(log, 4, 2);
    appendAsLeader(log, 5, 2);
    log.close();
    checkpoint.store(List.of(e(1, 0), e(3, 20), e(4, 50), e(5, 56)));

    PartitionLog reopened = open(log.checkpoint());

    assertThat(reopened.logStartOffset()).isEqualTo(50);
    assertThat(reopened.epochEntries()).containsExactly(e(4, 50), e(5, 56));
    assertThat(reopened.epochLoadReport().scanned()).isFalse();
  }

  @Test
  void an_unordered_stored_cache_is_rebuilt() {
    PartitionLog log = open();
    appendAsLeader(log, 1, 2);
    appendAsLeader(log, 2, 2);
    log.close();
    checkpoint.store(List.of(e(2, 0), e(1, 6)));

    PartitionLog reopened = open(log.checkpoint());

    assertThat(reopened.epochEntries()).containsExactly(e(1, 0), e(2, 6));
    assertThat(reopened.epochLoadReport().storedFound()).isFalse();
  }
}
