package dev.skein.storage.log;

import static dev.skein.storage.log.TestBatches.START_TIME;
import static dev.skein.storage.log.TestBatches.batch;
import static dev.skein.storage.log.TestBatches.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.storage.state.PartitionCheckpointStore;
import dev.skein.storage.state.StateStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention by time and size: exactly the closed segments it should remove go, from the old
 * end, never past the high watermark and never the active segment; offsets never change; the
 * new start survives a restart; a quiet active segment rolls by segment.ms so time retention can
 * reach it.
 */
class RetentionTest {

  private static final LogManagerConfig SLOW = new LogManagerConfig(Duration.ofHours(1), Duration.ofHours(1));
  /** Each test batch is 10 records in 1,200 bytes; segments of 2,000 bytes hold one batch each. */
  private static final int RECORDS = 10;

  @TempDir
  Path dataDir;

  private final MutableClock clock = new MutableClock(START_TIME);
  private StateStore stateStore;
  private LogManager manager;

  @BeforeEach
  void open() {
    stateStore = StateStore.open(dataDir.resolve(StateStore.DIRECTORY_NAME));
    manager = LogManager.open(dataDir, stateStore, SLOW, clock);
  }

  @AfterEach
  void close() {
    manager.close();
    stateStore.close();
  }

  /** Appends {@code batches} batches, each in its own segment, batch i stamped START_TIME + i minutes. */
  private PartitionLog logWith(int batches, String... configs) {
    PartitionLog log = manager.getOrCreateLog("t", 0, "id-1", config(configs));
    for (int i = 0; i < batches; i++) {
      log.appendAsLeader(batch(RECORDS, 1200, START_TIME + Duration.ofMinutes(i).toMillis()), 0);
    }
    log.updateHighWatermark(log.logEndOffset());
    return log;
  }

  @Test
  void timeRetentionRemovesTheSegmentsWhoseNewestRecordIsTooOld() throws IOException {
    PartitionLog log = logWith(5, "segment.bytes", "2000", "retention.ms", Long.toString(Duration.ofMinutes(30).toMillis()));
    assertThat(log.closedSegments()).hasSize(4);
    // Now batch 0 is 32 minutes old, batch 1 31, batch 2 30 (not older than retention.ms).
    clock.advance(Duration.ofMinutes(32));

    assertThat(manager.enforceRetention()).isEqualTo(1);

    assertThat(log.logStartOffset()).isEqualTo(2 * RECORDS);
    assertThat(log.logEndOffset()).isEqualTo(5 * RECORDS);
    assertThat(segmentFiles()).hasSize(3);
    assertThatThrownBy(() -> log.read(RECORDS, 1 << 20, Long.MAX_VALUE, true))
        .isInstanceOf(OffsetOutOfRangeException.class);
    assertThat(log.read(2 * RECORDS, 1 << 20, Long.MAX_VALUE, true).firstBatchBaseOffset()).isEqualTo(2 * RECORDS);
    // Durable at once: a restart keeps the new start.
    assertThat(new PartitionCheckpointStore(stateStore).read(LogManager.partitionKey("id-1", 0)).orElseThrow()
        .logStartOffset()).isEqualTo(2 * RECORDS);
    restartAndReopen();
    assertThat(manager.log("t", 0).orElseThrow().logStartOffset()).isEqualTo(2 * RECORDS);
  }

  @Test
  void sizeRetentionKeepsTheNewestSegmentsWithinRetentionBytes() throws IOException {
    PartitionLog log = logWith(6, "segment.bytes", "2000");
    long segmentSize = log.closedSegments().get(0).sizeInBytes();
    log.updateConfig(config("segment.bytes", "2000", "retention.bytes", Long.toString(3 * segmentSize)));

    manager.enforceRetention();

    // Six segments of equal size, at most three kept.
    assertThat(log.logStartOffset()).isEqualTo(3 * RECORDS);
    assertThat(log.sizeInBytes()).isLessThanOrEqualTo(3 * segmentSize);
    assertThat(segmentFiles()).hasSize(3);
  }

  @Test
  void neverPastTheHighWatermarkNorTheActiveSegment() {
    PartitionLog log = logWith(4, "segment.bytes", "2000", "retention.ms", "60000");
    log.updateHighWatermark(RECORDS + 5); // only batch 0 is wholly committed
    clock.advance(Duration.ofDays(1));

    manager.enforceRetention();
    assertThat(log.logStartOffset()).isEqualTo(RECORDS);

    log.updateHighWatermark(log.logEndOffset());
    manager.enforceRetention();
    // Everything is expired, but the active segment (batch 3) stays.
    assertThat(log.logStartOffset()).isEqualTo(3 * RECORDS);
    assertThat(log.logEndOffset()).isEqualTo(4 * RECORDS);
  }

  @Test
  void aQuietActiveSegmentRollsBySegmentMsSoTimeRetentionReachesIt() {
    PartitionLog log = logWith(1, "segment.ms", "60000", "retention.ms", "120000");
    assertThat(log.closedSegments()).isEmpty();
    clock.advance(Duration.ofMinutes(2));

    manager.enforceRetention(); // rolls: the only batch is in a closed segment now, 2 min old
    assertThat(log.closedSegments()).hasSize(1);
    clock.advance(Duration.ofMinutes(1));
    manager.enforceRetention();

    assertThat(log.logStartOffset()).isEqualTo(RECORDS);
    assertThat(log.logEndOffset()).isEqualTo(RECORDS);
    // The log goes on at its offsets.
    assertThat(log.appendAsLeader(batch(1, 10, clock.millis()), 0).firstOffset()).isEqualTo(RECORDS);
  }

  @Test
  void compactOnlyTopicsAreNotTouchedByRetention() {
    PartitionLog log = logWith(3, "segment.bytes", "2000", "retention.ms", "1000", "cleanup.policy", "compact");
    clock.advance(Duration.ofDays(1));
    assertThat(manager.enforceRetention()).isZero();
    assertThat(log.logStartOffset()).isZero();
  }

  @Test
  void advancingTheStartDirectlyDeletesWholeSegmentsBelowItOnly() {
    PartitionLog log = logWith(4, "segment.bytes", "2000");
    long start = manager.advanceLogStartOffset("t", 0, RECORDS + 3); // inside batch 1's segment

    assertThat(start).isEqualTo(RECORDS + 3);
    assertThat(log.logStartOffset()).isEqualTo(RECORDS + 3);
    assertThat(log.closedSegments()).extracting(PartitionLog.SegmentSummary::baseOffset)
        .containsExactly((long) RECORDS, 2L * RECORDS);
    assertThatThrownBy(() -> log.read(RECORDS + 2, 1 << 20, Long.MAX_VALUE, true))
        .isInstanceOf(OffsetOutOfRangeException.class);
    // Never lowered.
    assertThat(manager.advanceLogStartOffset("t", 0, 2)).isEqualTo(RECORDS + 3);
  }

  @Test
  void theDecisionIsAPrefixOfClosedSegments() {
    LogConfig config = config("retention.ms", "1000", "retention.bytes", "-1");
    List<PartitionLog.SegmentSummary> closed = List.of(
        new PartitionLog.SegmentSummary(0, 10, 100, 0),
        new PartitionLog.SegmentSummary(10, 20, 100, 5_000), // recent: stays, and so does everything after it
        new PartitionLog.SegmentSummary(20, 30, 100, 0));
    assertThat(Retention.newLogStart(closed, 0, 400, config, 5_500, 30)).isEqualTo(10);
    assertThat(Retention.newLogStart(closed, 0, 400, config("retention.ms", "-1"), 5_500, 30)).isZero();
    assertThat(Retention.newLogStart(closed, 0, 400, config("retention.ms", "-1", "retention.bytes", "150"), 0, 30))
        .as("400 bytes, at most 150 kept: drop segments while what is left stays >= 150").isEqualTo(20);
  }

  private void restartAndReopen() {
    manager.close();
    manager = LogManager.open(dataDir, stateStore, SLOW, clock);
    manager.getOrCreateLog("t", 0, "id-1", LogConfig.DEFAULT);
  }

  private List<Path> segmentFiles() throws IOException {
    try (Stream<Path> files = Files.list(manager.log("t", 0).orElseThrow().dir())) {
      return files.filter(p -> p.toString().endsWith(".log")).toList();
    }
  }
}
