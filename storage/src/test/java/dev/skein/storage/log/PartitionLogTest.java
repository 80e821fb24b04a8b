package dev.skein.storage.log;

import dev.skein.storage.state.PartitionCheckpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.skein.storage.log.TestBatches.START_TIME;
import static dev.skein.storage.log.TestBatches.batch;
import static dev.skein.storage.log.TestBatches.bytes;
import static dev.skein.storage.log.TestBatches.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PartitionLogTest {

  private static final int EPOCH = 7;

  @TempDir
  Path tempDir;

  private final MutableClock clock = new MutableClock(START_TIME);
  private final List<PartitionLog> opened = new ArrayList<>();

  @AfterEach
  void closeLogs() {
    opened.forEach(log -> {
      if (!log.isClosed()) {
        log.close();
      }
    });
  }

  private Path dir() {
    return tempDir.resolve("topic-0");
  }

  private PartitionLog open(LogConfig config) {
    return open(config, PartitionCheckpoint.NONE);
  }

  private PartitionLog open(LogConfig config, PartitionCheckpoint checkpoint) {
    PartitionLog log = PartitionLog.open(dir(), config, checkpoint, clock);
    opened.add(log);
    return log;
  }

  private static List<StoredBatch> readAll(PartitionLog log) {
    List<StoredBatch> all = new ArrayList<>();
    log.batchesFrom(log.logStartOffset()).forEachRemaining(all::add);
    return all;
  }

  @Test
  void appends_assign_dense_offsets_and_reads_return_the_stored_batches() {
    PartitionLog log = open(LogConfig.DEFAULT);
    BatchAppend first = batch(5, 100, START_TIME + 1);
    BatchAppend second = batch(1, 0, START_TIME + 2);
    BatchAppend third = batch(10, 1000, START_TIME + 3);

    LogAppendResult r1 = log.appendAsLeader(first, EPOCH);
    LogAppendResult r2 = log.appendAsLeader(second, EPOCH);
    LogAppendResult r3 = log.appendAsLeader(third, EPOCH + 1);

    assertThat(List.of(r1.firstOffset(), r1.lastOffset(), r2.firstOffset(), r2.lastOffset(), r3.firstOffset(),
        r3.lastOffset())).containsExactly(0L, 4L, 5L, 5L, 6L, 15L);
    assertThat(r1.position()).isZero();
    assertThat(r2.position()).isEqualTo(87 + 100);
    assertThat(r3.sizeInBytes()).isEqualTo(87 + 1000);
    assertThat(r3.logAppendTimeMs()).isEqualTo(LogAppendResult.NO_TIMESTAMP);
    assertThat(log.logEndOffset()).isEqualTo(16);

    LogReadResult read = log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE, false);
    assertThat(read.firstBatchBaseOffset()).isZero();
    assertThat(read.nextOffset()).isEqualTo(16);
    assertThat(read.logStartOffset()).isZero();
    assertThat(read.logEndOffset()).isEqualTo(16);
    List<StoredBatch> batches = read.batches();
    assertThat(batches).hasSize(3);
    assertThat(batches.get(0)).isEqualTo(StoredBatch.build(0, EPOCH, first));
    assertThat(batches.get(1)).isEqualTo(StoredBatch.build(5, EPOCH, second));
    assertThat(batches.get(2)).isEqualTo(StoredBatch.build(6, EPOCH + 1, third));
    StoredBatch stored = batches.get(2);
    assertThat(stored.lastOffsetDelta()).isEqualTo(9);
    assertThat(stored.recordCount()).isEqualTo(10);
    assertThat(stored.leaderEpoch()).isEqualTo(EPOCH + 1);
    assertThat(stored.producerId()).isEqualTo(-1L);
    assertThat(bytes(stored.payload())).isEqualTo(bytes(third.payload()));
    assertThat(read.sizeInBytes()).isEqualTo(3 * 87 + 1100);
  }

  @Test
  void reads_fill_the_buffers_the_caller_supplies_and_hand_them_over_writable() {
    PartitionLog log = open(LogConfig.DEFAULT);
    log.appendAsLeader(batch(3, 200, START_TIME), EPOCH);
    log.appendAsLeader(batch(2, 100, START_TIME), EPOCH);
    LogReadResult fresh = log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE, false);
    // Array-backed and writable, so gRPC can drain it without a scratch copy.
    assertThat(fresh.entries().hasArray()).isTrue();
    assertThat(fresh.entries().isReadOnly()).isFalse();

    byte[] arena = new byte[64 * 1024];
    java.util.concurrent.atomic.AtomicInteger taken = new java.util.concurrent.atomic.AtomicInteger();
    LogReadResult reused = log.read(0, Integer.MAX_VALUE, Long.MAX_VALUE, false, length -> {
      taken.addAndGet(length);
      return ByteBuffer.wrap(arena, 100, length).slice();
    });
    assertThat(taken.get()).isEqualTo(fresh.sizeInBytes());
    assertThat(reused.entries().array()).isSameAs(arena);
    assertThat(reused.batches()).isEqualTo(fresh.batches());
  }

  @Test
  void append_does_not_move_the_callers_payload_position() {
    PartitionLog log = open(LogConfig.DEFAULT);
    BatchAppend append = batch(1, 50, START_TIME);
    append.payload().position(10);
    log.appendAsLeader(append, EPOCH);
    assertThat(append.payload().position()).isEqualTo(10);
    assertThat(log.read(0, 1000, Long.MAX_VALUE, false).batches().get(0).payloadSize()).isEqualTo(40);
  }

  @Test
  void reading_from_inside_a_batch_returns_that_whole_batch() {
    PartitionLog log = open(LogConfig.DEFAULT);
    log.appendAsLeader(batch(5, 10, START_TIME), EPOCH);
    log.appendAsLeader(batch(10, 10, START_TIME), EPOCH);

    LogReadResult read = log.read(9, Integer.MAX_VALUE, Long.MAX_VALUE, false);
    assertThat(read.firstBatchBaseOffset()).isEqualTo(5);
    assertThat(read.batches()).extracting(StoredBatch::baseOffset).containsExactly(5L);
    assertThat(log.read(4, Integer.MAX_VALUE, Long.MAX_VALUE, false).batches())
        .extracting(StoredBatch::baseOffset).containsExactly(0L, 5L);
  }

  @Test
  void max_offset_exclusive_keeps_back_batches_that_reach_it() {
    PartitionLog log = open(LogConfig.DEFAULT);
    log.appendAsLeader(batch(5, 10, START_TIME), EPOCH);  // 0..4
    log.appendAsLeader(batch(1, 10, START_TIME), EPOCH);  // 5
    log.appendAsLeader(batch(10, 10, START_TIME), EPOCH); // 6..15

    assertThat(baseOffsets(log.read(0, 10_000, 6, false))).containsExactly(0L, 5L);
    assertThat(baseOffsets(log.read(0, 10_000, 5, false))).containsExactly(0L);
    assertThat(log.read(0, 10_000, 4, true).isEmpty()).isTrue();
    assertThat(log.read(6, 10_000, 6, true).isEmpty()).isTrue();
    assertThat(log.read(6, 10_000, 15, true).isEmpty()).isTrue();
    assertThat(baseOffsets(log.read(6, 10_000, 16, false))).containsExactly(6L);
  }

  @Test
  void max_bytes_returns_whole_batches_only_unless_min_one_batch_allows_one_larger() {
    PartitionLog log = open(LogConfig.DEFAULT);
    int size = 87 + 100;
    for (int i = 0; i < 3; i++) {
      log.appendAsLeader(batch(2, 100, START_TIME), EPOCH);
    }
    assertThat(baseOffsets(log.read(0, 2 * size, Long.MAX_VALUE, false))).containsExactly(0L, 2L);
    assertThat(baseOffsets(log.read(0, 2 * size - 1, Long.MAX_VALUE, false))).containsExactly(0L);
    assertThat(log.read(0, size - 1, Long.MAX_VALUE, false).isEmpty()).isTrue();
    assertThat(baseOffsets(log.read(0, size - 1, Long.MAX_VALUE, true))).containsExactly(0L);
    assertThat(baseOffsets(log.read(2, 0, Long.MAX_VALUE, true))).containsExactly(2L);
    assertThat(log.read(0, size - 1, Long.MAX_VALUE, true).sizeInBytes()).isEqualTo(size);
  }

  @Test
  void reads_outside_the_log_fail_with_both_bounds_and_reading_at_the_end_is_empty() {
    PartitionLog log = open(LogConfig.DEFAULT);
    log.appendAsLeader(batch(3, 10, START_TIME), EPOCH);

    assertThatThrownBy(() -> log.read(4, 100, Long.MAX_VALUE, true))
        .isInstanceOfSatisfying(OffsetOutOfRangeException.class, e -> {
          assertThat(e.logStartOffset()).isZero();
          assertThat(e.logEndOffset()).isEqualTo(3);
          assertThat(e.requestedOffset()).isEqualTo(4);
        })
        .hasMessageContaining("from 0").hasMessageContaining("up to 3");
    LogReadResult atEnd = log.read(3, 100, Long.MAX_VALUE, true);
    assertThat(atEnd.isEmpty()).isTrue();
    assertThat(atEnd.firstBatchBaseOffset()).isEqualTo(LogReadResult.NO_OFFSET);
    assertThat(atEnd.nextOffset()).isEqualTo(LogReadResult.NO_OFFSET);
    assertThat(atEnd.logEndOffset()).isEqualTo(3);

    log.truncateFullyAndStartAt(100);
    assertThatThrownBy(() -> log.read(99, 100, Long.MAX_VALUE, true))
        .isInstanceOf(OffsetOutOfRangeException.class).hasMessageContaining("from 100");
    assertThatThrownBy(() -> log.read(-1, 100, Long.MAX_VALUE, true)).isInstanceOf(OffsetOutOfRangeException.class);
  }

  @Test
  void log_append_time_stamps_max_timestamp_under_the_crc() {
    PartitionLog log = open(LogConfig.DEFAULT);
    clock.advance(Duration.ofMinutes(3));
    BatchAppend producerBatch = new BatchAppend(2, 5, 6, -1, -1, -1, 0, BatchLayout.TIMESTAMP_TYPE_LOG_APPEND_TIME,
        0, ByteBuffer.wrap(new byte[] {1, 2, 3}));

    LogAppendResult result = log.appendAsLeader(producerBatch, EPOCH);

    assertThat(result.logAppendTimeMs()).isEqualTo(clock.millis());
    assertThat(result.maxTimestamp()).isEqualTo(clock.millis());
    StoredBatch stored = log.read(0, 1000, Long.MAX_VALUE, false).batches().get(0);
    assertThat(stored.maxTimestamp()).isEqualTo(clock.millis());
    assertThat(stored.firstTimestamp()).isEqualTo(5);
    assertThat(stored.timestampType()).isEqualTo(BatchLayout.TIMESTAMP_TYPE_LOG_APPEND_TIME);
    assertThat(stored.isValid()).isTrue();
  }

  @Test
  void rejects_a_batch_larger_than_max_message_bytes() {
    PartitionLog log = open(config("max.message.bytes", "187"));
    log.appendAsLeader(batch(1, 100, START_TIME), EPOCH);
    assertThatThrownBy(() -> log.appendAsLeader(batch(1, 101, START_TIME), EPOCH))
        .isInstanceOf(RecordBatchTooLargeException.class).hasMessageContaining("188");
    assertThat(log.logEndOffset()).isEqualTo(1);
  }

  @Test
  void rolls_when_the_next_batch_would_not_fit_the_segment() throws IOException {
    PartitionLog log = open(config("segment.bytes", "1000"));
    for (int i = 0; i < 5; i++) {
      log.appendAsLeader(batch(2, 300, START_TIME + i), EPOCH); // 387 bytes: two per segment
    }
    assertThat(log.segmentBaseOffsets()).containsExactly(0L, 4L, 8L);
    assertThat(Files.size(dir().resolve("00000000000000000000.log"))).isEqualTo(2 * 387);
    assertThat(Files.size(dir().resolve("00000000000000000004.log"))).isEqualTo(2 * 387);
    // A rolled segment's indexes are trimmed to their entries.
    assertThat(Files.size(dir().resolve("00000000000000000000.index"))).isEqualTo(8);
    assertThat(Files.exists(dir().resolve("00000000000000000008.timeindex"))).isTrue();
    // A roll fsyncs the finished segment.
    assertThat(log.recoveryPoint()).isEqualTo(8);

    assertThat(baseOffsets(log.read(0, 100_000, Long.MAX_VALUE, false))).containsExactly(0L, 2L);
    assertThat(baseOffsets(log.read(5, 100_000, Long.MAX_VALUE, false))).containsExactly(4L, 6L);
    assertThat(readAll(log)).extracting(StoredBatch::baseOffset).containsExactly(0L, 2L, 4L, 6L, 8L);
  }

  @Test
  void an_oversized_batch_gets_a_segment_of_its_own() {
    PartitionLog log = open(config("segment.bytes", "200"));
    log.appendAsLeader(batch(1, 10, START_TIME), EPOCH);
    log.appendAsLeader(batch(1, 500, START_TIME), EPOCH);
    log.appendAsLeader(batch(1, 10, START_TIME), EPOCH);
    assertThat(log.segmentBaseOffsets()).containsExactly(0L, 1L, 2L);
    assertThat(readAll(log)).hasSize(3);
  }

  @Test
  void rolls_when_segment_ms_has_passed_since_the_first_batch() {
    PartitionLog log = open(config("segment.ms", "1000"));
    log.appendAsLeader(batch(1, 10, START_TIME), EPOCH);
    clock.advance(Duration.ofMillis(999));
    log.appendAsLeader(batch(1, 10, START_TIME), EPOCH);
    assertThat(log.segmentBaseOffsets()).containsExactly(0L);
    clock.advance(Duration.ofMillis(1));
    log.appendAsLeader(batch(1, 10, START_TIME), EPOCH);
    assertThat(log.segmentBaseOffsets()).containsExactly(0L, 2L);
    // The new segment counts from its own first batch.
    clock.advance(Duration.ofMillis(999));
    log.appendAsLeader(batch(1, 10, START_TIME), EPOCH);
    assertThat(log.segmentBaseOffsets()).containsExactly(0L, 2L);
  }

  @Test
  void rolls_when_the_time_index_is_full() {
    // 48 bytes: 6 offset-index entries, 4 time-index entries of which one is reserved.
    PartitionLog log = open(config("segment.index.bytes", "48", "index.interval.bytes", "0"));
    for (int i = 0; i < 4; i++) {
      log.appendAsLeader(batch(1, 10, START_TIME + i), EPOCH); // every batch raises the max timestamp
    }
    assertThat(log.segmentBaseOffsets()).containsExactly(0L, 3L);
  }

  @Test
  void rolls_when_the_offset_index_is_full() {
    PartitionLog log = open(config("segment.index.bytes", "48", "index.interval.bytes", "0"));
    for (int i = 0; i < 7; i++) {
      log.appendAsLeader(batch(1, 10, START_TIME), EPOCH); // same timestamp: one time-index entry
    }
    assertThat(log.segmentBaseOffsets()).containsExactly(0L, 6L);
    assertThat(readAll(log)).extracting(StoredBatch::baseOffset).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
  }

  @Test
  void sparse_index_finds_batches_however_far_from_an_entry() {
    PartitionLog log = open(config("index.interval.bytes", "1000"));
    for (int i = 0; i < 100; i++) {
      log.appendAsLeader(batch(3, 50 + i, START_TIME + i), EPOCH);
    }
    for (long offset = 0; offset < 300; offset += 7) {
      LogReadResult read = log.read(offset, 1, Long.MAX_VALUE, true);
      assertThat(read.firstBatchBaseOffset()).isEqualTo(offset / 3 * 3);
      int expectedPayload = 50 + (int) (offset / 3);
      assertThat(read.batches()).singleElement()
          .satisfies(b -> assertThat(b.payloadSize()).isEqualTo(expectedPayload));
    }
  }

  @Test
  void finds_the_first_batch_reaching_a_timestamp_across_segments_and_after_reopen() {
    LogConfig config = config("segment.bytes", "700", "index.interval.bytes", "200");
    PartitionLog log = open(config);
    long[] maxTimestamps = {100, 300, 200, 400, 400, 350, 900, 500, 1000, 50};
    for (long ts : maxTimestamps) {
      log.appendAsLeader(batch(2, 100, ts), EPOCH);
    }
    assertThat(log.segmentBaseOffsets()).hasSizeGreaterThan(2);
    assertTimestampLookups(log, maxTimestamps);

    log.close();
    PartitionLog reopened = open(config, log.checkpoint());
    assertThat(reopened.recoveryReport().recoveryRan()).isFalse();
    assertTimestampLookups(reopened, maxTimestamps);
  }

  @Test
  void finds_the_batch_whose_max_timestamp_is_exactly_the_target() {
    PartitionLog log = open(config("index.interval.bytes", "0"));
    for (int i = 0; i < 20; i++) {
      log.appendAsLeader(batch(1, 10, START_TIME + 10L * i), EPOCH); // every batch indexed
    }
    for (int i = 0; i < 20; i++) {
      assertThat(log.findFirstBatchAtOrAfterTimestamp(START_TIME + 10L * i))
          .map(StoredBatch::baseOffset).hasValue((long) i);
      assertThat(log.findFirstBatchAtOrAfterTimestamp(START_TIME + 10L * i - 9))
          .map(StoredBatch::baseOffset).hasValue((long) i);
    }
    assertThat(log.findFirstBatchAtOrAfterTimestamp(START_TIME + 191)).isEmpty();
  }

  private static void assertTimestampLookups(PartitionLog log, long[] maxTimestamps) {
    for (long target = 0; target <= 1100; target += 25) {
      long expected = -1;
      for (int i = 0; i < maxTimestamps.length; i++) {
        if (maxTimestamps[i] >= target) {
          expected = i * 2L;
          break;
        }
      }
      if (expected < 0) {
        assertThat(log.findFirstBatchAtOrAfterTimestamp(target)).as("ts %d", target).isEmpty();
      } else {
        assertThat(log.findFirstBatchAtOrAfterTimestamp(target)).as("ts %d", target)
            .map(StoredBatch::baseOffset).hasValue(expected);
      }
    }
  }

  @Test
  void high_watermark_is_kept_within_the_log() {
    PartitionLog log = open(LogConfig.DEFAULT);
    log.appendAsLeader(batch(10, 10, START_TIME), EPOCH);
    assertThat(log.updateHighWatermark(4)).isEqualTo(4);
    assertThat(log.highWatermark()).isEqualTo(4);
    assertThat(log.updateHighWatermark(100)).isEqualTo(10);
    assertThat(log.read(0, 1000, log.highWatermark(), true).isEmpty()).isFalse();
    assertThat(log.checkpoint()).isEqualTo(new PartitionCheckpoint(0, 0, 10));
  }

  @Test
  void by_default_only_rolls_flush_and_flush_messages_flushes_on_append() {
    PartitionLog lazy = open(LogConfig.DEFAULT);
    lazy.appendAsLeader(batch(10, 10, START_TIME), EPOCH);
    assertThat(lazy.recoveryPoint()).isZero();
    assertThat(lazy.unflushedMessages()).isEqualTo(10);
    lazy.flush();
    assertThat(lazy.recoveryPoint()).isEqualTo(10);
    lazy.close();

    Path eager = tempDir.resolve("eager-0");
    PartitionLog log = PartitionLog.open(eager, config("flush.messages", "5"), PartitionCheckpoint.NONE, clock);
    opened.add(log);
    log.appendAsLeader(batch(3, 10, START_TIME), EPOCH);
    assertThat(log.recoveryPoint()).isZero();
    log.appendAsLeader(batch(3, 10, START_TIME), EPOCH);
    assertThat(log.recoveryPoint()).isEqualTo(6);
  }

  @Test
  void truncate_to_cuts_at_the_start_of_the_batch_holding_the_offset() throws IOException {
    PartitionLog log = open(config("segment.bytes", "400"));
    log.appendAsLeader(batch(5, 100, START_TIME), EPOCH);  // 0..4   segment 0
    log.appendAsLeader(batch(1, 100, START_TIME), EPOCH);  // 5      segment 0
    log.appendAsLeader(batch(10, 100, START_TIME), EPOCH); // 6..15  segment 6
    log.appendAsLeader(batch(3, 100, START_TIME), EPOCH);  // 16..18 segment 6
    log.appendAsLeader(batch(2, 100, START_TIME), EPOCH);  // 19..20 segment 19
    log.updateHighWatermark(21);
    assertThat(log.segmentBaseOffsets()).containsExactly(0L, 6L, 19L);

    assertThat(log.truncateTo(30)).isEqualTo(21); // at or above the end: nothing to do
    assertThat(log.truncateTo(8)).isEqualTo(6);

    assertThat(log.logEndOffset()).isEqualTo(6);
    assertThat(log.highWatermark()).isEqualTo(6);
    assertThat(log.segmentBaseOffsets()).containsExactly(0L, 6L);
    assertThat(Files.exists(dir().resolve("00000000000000000019.log"))).isFalse();
    assertThat(Files.size(dir().resolve("00000000000000000006.log"))).isZero();
    assertThat(readAll(log)).extracting(StoredBatch::baseOffset).containsExactly(0L, 5L);
    assertThatThrownBy(() -> log.read(7, 1000, Long.MAX_VALUE, true)).isInstanceOf(OffsetOutOfRangeException.class);

    assertThat(log.appendAsLeader(batch(4, 10, START_TIME), EPOCH + 1).firstOffset()).isEqualTo(6);
    assertThat(log.truncateTo(3)).isZero(); // inside the first batch: the log empties
    assertThat(log.segmentBaseOffsets()).containsExactly(0L);
    assertThat(log.appendAsLeader(batch(1, 10, START_TIME), EPOCH + 2).firstOffset()).isZero();

    log.close();
    PartitionLog reopened = open(config("segment.bytes", "400"), log.checkpoint());
    assertThat(reopened.recoveryReport().recoveryRan()).isFalse();
    assertThat(readAll(reopened)).extracting(StoredBatch::leaderEpoch).containsExactly(EPOCH + 2);
  }

  @Test
  void truncate_into_an_older_segment_makes_it_take_appends_again() {
    LogConfig config = config("segment.bytes", "300", "index.interval.bytes", "0");
    PartitionLog log = open(config);
    for (int i = 0; i < 6; i++) {
      log.appendAsLeader(batch(1, 50, START_TIME + i), EPOCH); // 137 bytes: two per segment
    }
    assertThat(log.segmentBaseOffsets()).containsExactly(0L, 2L, 4L);
    assertThat(log.truncateTo(3)).isEqualTo(3);
    log.appendAsLeader(batch(1, 50, START_TIME + 10), EPOCH + 1); // fits in segment 2 again
    log.appendAsLeader(batch(1, 50, START_TIME + 11), EPOCH + 1); // rolls at 4
    assertThat(log.segmentBaseOffsets()).containsExactly(0L, 2L, 4L);
    assertThat(readAll(log)).extracting(StoredBatch::baseOffset).containsExactly(0L, 1L, 2L, 3L, 4L);
    assertThat(log.findFirstBatchAtOrAfterTimestamp(START_TIME + 3)).hasValueSatisfying(
        b -> assertThat(b.baseOffset()).isEqualTo(3));
    log.close();
    PartitionLog reopened = open(config, log.checkpoint());
    assertThat(reopened.recoveryReport().recoveryRan()).isFalse();
    assertThat(readAll(reopened)).extracting(StoredBatch::baseOffset).containsExactly(0L, 1L, 2L, 3L, 4L);
  }

  @Test
  void truncate_fully_restarts_the_log_at_an_offset() {
    PartitionLog log = open(LogConfig.DEFAULT);
    log.appendAsLeader(batch(5, 10, START_TIME), EPOCH);
    log.truncateFullyAndStartAt(1000);
    assertThat(log.logStartOffset()).isEqualTo(1000);
    assertThat(log.logEndOffset()).isEqualTo(1000);
    assertThat(log.highWatermark()).isEqualTo(1000);
    assertThat(log.segmentBaseOffsets()).containsExactly(1000L);
    assertThat(log.appendAsLeader(batch(2, 10, START_TIME), EPOCH).firstOffset()).isEqualTo(1000);
    log.close();
    PartitionLog reopened = open(LogConfig.DEFAULT, log.checkpoint());
    assertThat(reopened.logStartOffset()).isEqualTo(1000);
    assertThat(readAll(reopened)).extracting(StoredBatch::baseOffset).containsExactly(1000L);
  }

  @Test
  void follower_appends_stored_bytes_unchanged_across_segments() {
    PartitionLog leader = PartitionLog.open(tempDir.resolve("leader-0"), LogConfig.DEFAULT, PartitionCheckpoint.NONE, clock);
    opened.add(leader);
    for (int i = 0; i < 10; i++) {
      leader.appendAsLeader(batch(1 + i, 40 * i, START_TIME + i), EPOCH + i / 4);
    }
    ByteBuffer fetched = leader.read(0, Integer.MAX_VALUE, Long.MAX_VALUE, false).entries();

    PartitionLog follower = open(config("segment.bytes", "500"));
    LogAppendResult result = follower.appendAsFollower(fetched);

    assertThat(result.firstOffset()).isZero();
    assertThat(result.lastOffset()).isEqualTo(leader.logEndOffset() - 1);
    assertThat(result.sizeInBytes()).isEqualTo(fetched.remaining());
    assertThat(fetched.position()).isZero();
    assertThat(follower.segmentBaseOffsets()).hasSizeGreaterThan(3);
    assertThat(follower.logEndOffset()).isEqualTo(leader.logEndOffset());
    assertThat(readAll(follower)).isEqualTo(readAll(leader));
  }

  @Test
  void follower_append_must_continue_exactly_from_the_log_end() {
    PartitionLog log = open(LogConfig.DEFAULT);
    log.appendAsFollower(entries(StoredBatch.build(0, 1, batch(3, 10, START_TIME))));

    assertThatThrownBy(() -> log.appendAsFollower(entries(StoredBatch.build(4, 1, batch(1, 10, START_TIME)))))
        .isInstanceOfSatisfying(UnexpectedAppendOffsetException.class, e -> {
          assertThat(e.expectedOffset()).isEqualTo(3);
          assertThat(e.actualOffset()).isEqualTo(4);
        });
    assertThatThrownBy(() -> log.appendAsFollower(entries(StoredBatch.build(2, 1, batch(1, 10, START_TIME)))))
        .isInstanceOf(UnexpectedAppendOffsetException.class);
    // A gap inside the fetched entries is refused before anything is written.
    assertThatThrownBy(() -> log.appendAsFollower(entries(StoredBatch.build(3, 1, batch(1, 10, START_TIME)),
        StoredBatch.build(5, 1, batch(1, 10, START_TIME)))))
        .isInstanceOf(UnexpectedAppendOffsetException.class);
    assertThat(log.logEndOffset()).isEqualTo(3);

    log.appendAsFollower(entries(StoredBatch.build(3, 2, batch(1, 10, START_TIME)),
        StoredBatch.build(4, 2, batch(2, 10, START_TIME))));
    assertThat(log.logEndOffset()).isEqualTo(6);
    assertThat(readAll(log)).extracting(StoredBatch::leaderEpoch).containsExactly(1, 2, 2);
  }

  @Test
  void follower_append_of_a_corrupt_or_partial_entry_writes_nothing() {
    PartitionLog log = open(LogConfig.DEFAULT);
    ByteBuffer good = entries(StoredBatch.build(0, 1, batch(3, 10, START_TIME)),
        StoredBatch.build(3, 1, batch(3, 10, START_TIME)));
    ByteBuffer corrupt = ByteBuffer.wrap(bytes(good));
    corrupt.put(corrupt.limit() - 1, (byte) (corrupt.get(corrupt.limit() - 1) ^ 0x40));
    assertThatThrownBy(() -> log.appendAsFollower(corrupt))
        .isInstanceOfSatisfying(InvalidBatchException.class,
            e -> assertThat(e.reason()).isEqualTo(InvalidBatchException.Reason.CRC_MISMATCH));
    ByteBuffer partial = ByteBuffer.wrap(bytes(good), 0, good.remaining() - 5);
    assertThatThrownBy(() -> log.appendAsFollower(partial))
        .isInstanceOfSatisfying(InvalidBatchException.class,
            e -> assertThat(e.reason()).isEqualTo(InvalidBatchException.Reason.TRUNCATED));
    assertThat(log.logEndOffset()).isZero();
    assertThat(log.sizeInBytes()).isZero();

    LogAppendResult empty = log.appendAsFollower(ByteBuffer.allocate(0));
    assertThat(empty.sizeInBytes()).isZero();
    log.appendAsFollower(good);
    assertThat(log.logEndOffset()).isEqualTo(6);
  }

  @Test
  void a_clean_close_leaves_nothing_to_recover() {
    LogConfig config = config("segment.bytes", "1000");
    PartitionLog log = open(config);
    for (int i = 0; i < 12; i++) {
      log.appendAsLeader(batch(2, 150 + i, START_TIME + i), EPOCH);
    }
    List<StoredBatch> before = readAll(log);
    log.close();
    PartitionCheckpoint checkpoint = log.checkpoint();
    assertThat(checkpoint.recoveryPoint()).isEqualTo(24);

    PartitionLog reopened = open(config, checkpoint);
    RecoveryReport report = reopened.recoveryReport();
    assertThat(report.segmentsLoaded()).isEqualTo(log.segmentBaseOffsets().size());
    assertThat(report.segmentsRecovered()).isZero();
    assertThat(report.indexesRebuilt()).isZero();
    assertThat(report.truncated()).isFalse();
    assertThat(reopened.recoveryPoint()).isEqualTo(24);
    assertThat(reopened.logEndOffset()).isEqualTo(24);
    assertThat(readAll(reopened)).isEqualTo(before);
    assertThat(reopened.appendAsLeader(batch(1, 10, START_TIME), EPOCH).firstOffset()).isEqualTo(24);
  }

  @Test
  void a_closed_log_refuses_work() {
    PartitionLog log = open(LogConfig.DEFAULT);
    log.close();
    assertThatThrownBy(() -> log.appendAsLeader(batch(1, 1, START_TIME), EPOCH)).isInstanceOf(LogClosedException.class);
    assertThatThrownBy(() -> log.read(0, 1, Long.MAX_VALUE, true)).isInstanceOf(LogClosedException.class);
    log.close(); // idempotent
  }

  @Test
  void delete_removes_the_directory() {
    PartitionLog log = open(LogConfig.DEFAULT);
    log.appendAsLeader(batch(1, 1, START_TIME), EPOCH);
    log.delete();
    assertThat(dir()).doesNotExist();
    assertThat(log.isClosed()).isTrue();
  }

  static ByteBuffer entries(StoredBatch... batches) {
    int size = 0;
    for (StoredBatch batch : batches) {
      size += batch.sizeInBytes();
    }
    ByteBuffer buffer = ByteBuffer.allocate(size);
    for (StoredBatch batch : batches) {
      buffer.put(batch.buffer());
    }
    return buffer.flip();
  }

  private static List<Long> baseOffsets(LogReadResult read) {
    return read.batches().stream().map(StoredBatch::baseOffset).toList();
  }
}
