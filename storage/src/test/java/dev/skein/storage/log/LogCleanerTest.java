package dev.skein.storage.log;

import dev.skein.storage.log.KeyedRecords.Keyed;
import dev.skein.storage.log.KeyedRecords.Read;
import dev.skein.storage.state.PartitionCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LogCleanerTest {

  private static final long DAY_MS = Duration.ofDays(1).toMillis();

  @TempDir
  Path tmp;

  /** A log and what was written to it, offset by offset. */
  private static final class Written {
    final PartitionLog log;
    final Map<Long, Keyed> history = new ConcurrentHashMap<>();

    Written(PartitionLog log) {
      this.log = log;
    }

    void append(List<Keyed> records, int compression) {
      append(records, compression, System.currentTimeMillis());
    }

    void append(List<Keyed> records, int compression, long timestamp) {
      LogAppendResult result = log.appendAsLeader(KeyedRecords.batch(records, timestamp, compression), 0);
      for (int i = 0; i < records.size(); i++) {
        history.put(result.firstOffset() + i, records.get(i));
      }
      log.updateHighWatermark(log.logEndOffset());
    }
  }

  private static LogConfig compacted(String... overrides) {
    List<String> all = new ArrayList<>(List.of("cleanup.policy", "compact"));
    all.addAll(List.of(overrides));
    return TestBatches.config(all.toArray(new String[0]));
  }

  private static LogCleaner cleaner(long mapBytes, Clock clock, CleanerHook hook) {
    return new LogCleaner(new OffsetMap(mapBytes), CleanerThrottle.unlimited(), PayloadCodec.JDK, clock, hook);
  }

  /** Cleans until the whole cleanable part is clean; returns the cleaned-up-to offset and counts passes. */
  private static long cleanFully(LogCleaner cleaner, PartitionLog log, long cleanedUpTo, AtomicLong passes)
      throws IOException {
    for (int i = 0; i < 10_000; i++) {
      LogCleaner.Result result = cleaner.clean(log, cleanedUpTo);
      passes.incrementAndGet();
      cleanedUpTo = result.cleanedUpTo();
      if (result.complete()) {
        return cleanedUpTo;
      }
    }
    throw new AssertionError("Cleaning did not finish");
  }

  /**
   * What must survive cleaning up to {@code cleanedUpTo}: everything at or above it; below it, keyless records
   * and each key's last record below it, unless that is a tombstone and tombstones have expired.
   */
  private static List<Read> expected(Map<Long, Keyed> history, long cleanedUpTo, boolean tombstonesExpired) {
    Map<String, Long> latest = new HashMap<>();
    history.forEach((offset, record) -> {
      if (offset < cleanedUpTo && record.key() != null) {
        latest.merge(record.key(), offset, Math::max);
      }
    });
    List<Read> out = new ArrayList<>();
    history.keySet().stream().sorted().forEach(offset -> {
      Keyed record = history.get(offset);
      boolean keep = offset >= cleanedUpTo || record.key() == null
          || (latest.get(record.key()).equals(offset) && (record.value() != null || !tombstonesExpired));
      if (keep) {
        out.add(new Read(offset, record.key(), record.value()));
      }
    });
    return out;
  }

  static LongStream seeds() {
    return LongStream.rangeClosed(1, 40);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void randomHistoriesCompactToEachKeysLatestRecord(long seed) throws Exception {
    try {
      randomHistory(seed);
    } catch (Throwable t) {
      throw new AssertionError("Failed with seed " + seed, t);
    }
  }

  private void randomHistory(long seed) throws Exception {
    Random random = new Random(seed);
    boolean tombstonesExpire = random.nextBoolean();
    LogConfig config = compacted("segment.bytes", String.valueOf(800 + random.nextInt(3000)),
        "delete.retention.ms", tombstonesExpire ? "0" : String.valueOf(DAY_MS));
    Path dir = tmp.resolve("seed-" + seed);
    Written w = new Written(PartitionLog.open(dir, config, PartitionCheckpoint.NONE, Clock.systemUTC()));
    int keys = 1 + random.nextInt(40);
    // Small maps force several passes.
    long mapBytes = OffsetMap.BYTES_PER_ENTRY * (random.nextBoolean() ? 4 + random.nextInt(20) : 10_000);
    // Cleaning "a day later": tombstones are past delete.retention.ms=0 but within one day.
    LogCleaner cleaner = cleaner(mapBytes, Clock.offset(Clock.systemUTC(), Duration.ofHours(2)), CleanerHook.NONE);
    long cleanedUpTo = 0;
    AtomicLong passes = new AtomicLong();
    for (int round = 0; round < 3; round++) {
      int batches = 20 + random.nextInt(80);
      for (int b = 0; b < batches; b++) {
        List<Keyed> records = new ArrayList<>();
        int count = 1 + random.nextInt(5);
        for (int i = 0; i < count; i++) {
          int dice = random.nextInt(100);
          String key = dice < 5 ? null : "k" + random.nextInt(keys);
          String value = key != null && dice < 20 ? null : "v" + random.nextInt(1_000_000);
          records.add(new Keyed(key, value));
        }
        w.append(records, 1 + random.nextInt(2));
      }
      long logEnd = w.log.logEndOffset();
      cleanedUpTo = cleanFully(cleaner, w.log, cleanedUpTo, passes);
      assertThat(w.log.logEndOffset()).isEqualTo(logEnd);
      List<Read> read = KeyedRecords.readAll(w.log);
      assertThat(read).containsExactlyElementsOf(expected(w.history, cleanedUpTo, tombstonesExpire));
    }
    List<Read> before = KeyedRecords.readAll(w.log);
    PartitionCheckpoint checkpoint = w.log.checkpoint();
    w.log.close();
    // Reopened as after a clean shutdown, and with every segment re-validated (gaps and all).
    try (PartitionLog reopened = PartitionLog.open(dir, config, checkpoint, Clock.systemUTC())) {
      assertThat(KeyedRecords.readAll(reopened)).isEqualTo(before);
    }
    try (PartitionLog recovered = PartitionLog.open(dir, config, PartitionCheckpoint.NONE, Clock.systemUTC())) {
      assertThat(recovered.recoveryReport().truncatedAtOffset()).isEqualTo(-1);
      assertThat(KeyedRecords.readAll(recovered)).isEqualTo(before);
    }
  }

  @Test
  void aConsumerWithinDeleteRetentionSeesEveryTombstone() throws Exception {
    LogConfig config = compacted("segment.bytes", "1000", "delete.retention.ms", String.valueOf(Duration.ofHours(1).toMillis()));
    Written w = new Written(PartitionLog.open(tmp.resolve("t"), config, PartitionCheckpoint.NONE, Clock.systemUTC()));
    for (int i = 0; i < 200; i++) {
      w.append(List.of(new Keyed("k" + (i % 10), i % 3 == 0 ? null : "v" + i)), 1);
    }
    long tombstonesBefore = KeyedRecords.readAll(w.log).stream().filter(r -> r.value() == null).count();
    // Cleaned within delete.retention.ms of the writes: every key's last tombstone stays.
    long cleanedUpTo = cleanFully(cleaner(1 << 20, Clock.systemUTC(), CleanerHook.NONE), w.log, 0, new AtomicLong());
    List<Read> within = KeyedRecords.readAll(w.log);
    assertThat(within).containsExactlyElementsOf(expected(w.history, cleanedUpTo, false));
    assertThat(within).anyMatch(r -> r.value() == null && r.offset() < cleanedUpTo);
    assertThat(tombstonesBefore).isPositive();
    // Two hours later they are gone, and with them their keys.
    cleanFully(cleaner(1 << 20, Clock.offset(Clock.systemUTC(), Duration.ofHours(2)), CleanerHook.NONE), w.log, 0,
        new AtomicLong());
    List<Read> later = KeyedRecords.readAll(w.log);
    assertThat(later).containsExactlyElementsOf(expected(w.history, cleanedUpTo, true));
    assertThat(later).noneMatch(r -> r.value() == null && r.offset() < cleanedUpTo);
    w.log.close();
  }

  /** A crash, as a test hook throws it. */
  private static final class SimulatedCrash extends RuntimeException {
    SimulatedCrash(CleanerHook.Step step) {
      super("Simulated crash at " + step);
    }
  }

  @ParameterizedTest
  @EnumSource(CleanerHook.Step.class)
  void aCrashAtAnyStepLeavesThePreOrPostCleanLog(CleanerHook.Step crashAt) throws Exception {
    // Tiny indexes roll a segment every few batches; segment.bytes lets one group take all of them.
    LogConfig config = compacted("segment.bytes", "1048576", "segment.index.bytes", "120",
        "index.interval.bytes", "0", "delete.retention.ms", "0");
    Path crashDir = tmp.resolve("crash");
    Path cleanDir = tmp.resolve("clean");
    Written crashing = new Written(PartitionLog.open(crashDir, config, PartitionCheckpoint.NONE, Clock.systemUTC()));
    Written control = new Written(PartitionLog.open(cleanDir, config, PartitionCheckpoint.NONE, Clock.systemUTC()));
    Random random = new Random(crashAt.ordinal());
    for (int i = 0; i < 120; i++) {
      List<Keyed> records = List.of(new Keyed("k" + random.nextInt(8), random.nextInt(6) == 0 ? null : "v" + i),
          new Keyed("k" + random.nextInt(8), "w" + i));
      // The same timestamps for both: the time index takes an entry only when the timestamp grows,
      // so timestamps read apart would fill the tiny indexes, and roll, at different batches.
      long timestamp = System.currentTimeMillis();
      crashing.append(records, 1, timestamp);
      control.append(records, 1, timestamp);
    }
    assertThat(crashing.log.segmentBaseOffsets()).hasSizeGreaterThan(5);
    Clock later = Clock.offset(Clock.systemUTC(), Duration.ofHours(1));
    List<Read> pre = KeyedRecords.readAll(crashing.log);
    long logEnd = crashing.log.logEndOffset();
    cleanFully(cleaner(1 << 20, later, CleanerHook.NONE), control.log, 0, new AtomicLong());
    List<Read> post = KeyedRecords.readAll(control.log);
    assertThat(post).hasSizeLessThan(pre.size());

    PartitionCheckpoint checkpoint = crashing.log.checkpoint();
    LogCleaner crashingCleaner = cleaner(1 << 20, later, step -> {
      if (step == crashAt) {
        throw new SimulatedCrash(step);
      }
    });
    assertThatThrownBy(() -> crashingCleaner.clean(crashing.log, 0)).isInstanceOf(SimulatedCrash.class);
    crashing.log.abandon();

    try (PartitionLog reopened = PartitionLog.open(crashDir, config, checkpoint, Clock.systemUTC())) {
      List<Read> after = KeyedRecords.readAll(reopened);
      assertThat(reopened.logEndOffset()).isEqualTo(logEnd);
      if (crashAt == CleanerHook.Step.CLEANED_WRITTEN) {
        assertThat(after).isEqualTo(pre);
      } else {
        assertThat(after).isEqualTo(post); // the swap file committed the cleaning
      }
      try (var files = Files.list(crashDir)) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .noneMatch(name -> name.endsWith(".cleaned") || name.endsWith(".swap"));
      }
      // The recovered log cleans on to the same result.
      cleanFully(cleaner(1 << 20, later, CleanerHook.NONE), reopened, 0, new AtomicLong());
      assertThat(KeyedRecords.readAll(reopened)).isEqualTo(post);
    }
    control.log.close();
  }

  @Test
  void appendsAndReadsGoOnWhileTheCleanerWorks() throws Exception {
    LogConfig config = compacted("segment.bytes", "2000", "delete.retention.ms", "0");
    Written w = new Written(PartitionLog.open(tmp.resolve("busy"), config, PartitionCheckpoint.NONE, Clock.systemUTC()));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicLong reads = new AtomicLong();
    Thread appender = new Thread(() -> {
      try {
        for (int i = 0; !stop.get(); i++) {
          w.append(List.of(new Keyed("k" + (i % 50), "v" + i)), 1 + i % 2);
        }
      } catch (Throwable t) {
        failure.compareAndSet(null, t);
      }
    });
    Thread reader = new Thread(() -> {
      try {
        while (!stop.get()) {
          long previous = -1;
          long committed = w.log.highWatermark(); // raised only after the history has the records
          for (Read r : KeyedRecords.readAll(w.log)) {
            assertThat(r.offset()).isGreaterThan(previous);
            previous = r.offset();
            if (r.offset() >= committed) {
              continue;
            }
            Keyed written = w.history.get(r.offset());
            assertThat(new Keyed(r.key(), r.value())).isEqualTo(written);
          }
          reads.incrementAndGet();
        }
      } catch (Throwable t) {
        failure.compareAndSet(null, t);
      }
    });
    appender.start();
    reader.start();
    LogCleaner cleaner = cleaner(1 << 20, Clock.systemUTC(), CleanerHook.NONE);
    long cleanedUpTo = 0;
    int cleanings = 0;
    // Clean over and over until the appender and the reader have done enough beside the cleaner
    // (a fixed time was too short on a loaded machine: 629 appends in 4 s), within a deadline.
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline && failure.get() == null
        && (cleanings < 5 || w.log.logEndOffset() <= 1000 || reads.get() == 0)) {
      try {
        LogCleaner.Result result = cleaner.clean(w.log, cleanedUpTo);
        cleanedUpTo = result.cleanedUpTo();
        if (result.cleanedAnything()) {
          cleanings++;
        }
      } catch (CleaningAbortedException e) {
        // only truncation or retention abort a cleaning; neither runs here
        throw e;
      }
    }
    long endDuringCleaning = w.log.logEndOffset();
    stop.set(true);
    appender.join();
    reader.join();
    assertThat(failure.get()).isNull();
    assertThat(cleanings).isGreaterThan(1);
    assertThat(reads.get()).isPositive();
    assertThat(endDuringCleaning).isGreaterThan(1000);
    cleanedUpTo = cleanFully(cleaner, w.log, cleanedUpTo, new AtomicLong());
    assertThat(KeyedRecords.readAll(w.log)).containsExactlyElementsOf(expected(w.history, cleanedUpTo, false));
    w.log.close();
  }

  @Test
  void aMapTooSmallForTheDirtyKeysCleansInSeveralPasses() throws Exception {
    LogConfig config = compacted("segment.bytes", "4000");
    Written w = new Written(PartitionLog.open(tmp.resolve("passes"), config, PartitionCheckpoint.NONE, Clock.systemUTC()));
    for (int i = 0; i < 600; i++) {
      w.append(List.of(new Keyed("k" + (i % 200), "v" + i)), 1);
    }
    AtomicLong passes = new AtomicLong();
    OffsetMap small = new OffsetMap(OffsetMap.BYTES_PER_ENTRY * 50L);
    assertThat(small.maxEntries()).isEqualTo(45);
    LogCleaner cleaner = new LogCleaner(small, CleanerThrottle.unlimited(), PayloadCodec.JDK, Clock.systemUTC(),
        CleanerHook.NONE);
    long cleanedUpTo = cleanFully(cleaner, w.log, 0, passes);
    assertThat(passes.get()).isGreaterThanOrEqualTo(600 / 45);
    assertThat(KeyedRecords.readAll(w.log)).containsExactlyElementsOf(expected(w.history, cleanedUpTo, false));
    w.log.close();
  }

  @Test
  void theThrottleLimitsCleanerBytesPerSecond() throws Exception {
    LogConfig config = compacted("segment.bytes", "50000");
    Written w = new Written(PartitionLog.open(tmp.resolve("slow"), config, PartitionCheckpoint.NONE, Clock.systemUTC()));
    String value = "x".repeat(900);
    for (int i = 0; i < 600; i++) {
      w.append(List.of(new Keyed("k" + (i % 20), value + i)), 1);
    }
    double rate = 1_000_000; // bytes/s
    LogCleaner cleaner = new LogCleaner(new OffsetMap(1 << 20), new CleanerThrottle(rate), PayloadCodec.JDK,
        Clock.systemUTC(), CleanerHook.NONE);
    long start = System.nanoTime();
    LogCleaner.Result result = cleaner.clean(w.log, 0);
    double seconds = (System.nanoTime() - start) / 1e9;
    long io = result.bytesRead() + result.bytesWritten();
    assertThat(io).isGreaterThan(800_000);
    // The first 100 ms of budget may go at once.
    assertThat(seconds).isGreaterThanOrEqualTo(io / rate - 0.1 - 0.05);
    w.log.close();
  }

  @Test
  void idempotentProducersKeepTheirStateWhenTheirBatchesAreCleaned() throws Exception {
    LogConfig config = compacted("segment.bytes", "1000", "delete.retention.ms", "0");
    Path dir = tmp.resolve("producers");
    PartitionLog log = PartitionLog.open(dir, config, PartitionCheckpoint.NONE, Clock.systemUTC());
    int sequence = 0;
    for (int i = 0; i < 60; i++) {
      log.appendAsLeader(KeyedRecords.idempotentBatch(List.of(new Keyed("k" + (i % 3), "v" + i)),
          System.currentTimeMillis(), 1, 7, 0, sequence++), 0);
    }
    // Another producer writes the same keys afterwards, superseding every record of producer 7.
    for (int i = 0; i < 60; i++) {
      log.appendAsLeader(KeyedRecords.batch(List.of(new Keyed("k" + (i % 3), "w" + i)), System.currentTimeMillis(), 1), 0);
    }
    log.updateHighWatermark(log.logEndOffset());
    ProducerStateEntry before = log.producerState(7).orElseThrow();
    cleanFully(cleaner(1 << 20, Clock.systemUTC(), CleanerHook.NONE), log, 0, new AtomicLong());
    assertThat(KeyedRecords.readAll(log)).noneMatch(r -> r.value().startsWith("v"));
    log.abandon();
    // Rebuilt from batch headers alone: the producer's last batch survived, empty.
    try (PartitionLog reopened = PartitionLog.open(dir, config, PartitionCheckpoint.NONE, Clock.systemUTC())) {
      assertThat(reopened.producerState(7).orElseThrow().lastSequence()).isEqualTo(before.lastSequence());
      assertThat(reopened.producerState(7).orElseThrow().lastOffset()).isEqualTo(before.lastOffset());
      // And the producer continues its sequence.
      reopened.appendAsLeader(KeyedRecords.idempotentBatch(List.of(new Keyed("k0", "again")),
          System.currentTimeMillis(), 1, 7, 0, sequence), 0);
    }
  }

  @Test
  void theFirstBatchOfEveryLeaderEpochSurvivesSoTheEpochCacheIsUnchanged() throws Exception {
    LogConfig config = compacted("segment.bytes", "800", "delete.retention.ms", "0");
    Path dir = tmp.resolve("epochs");
    PartitionLog log = PartitionLog.open(dir, config, PartitionCheckpoint.NONE, Clock.systemUTC());
    for (int epoch = 0; epoch < 4; epoch++) {
      for (int i = 0; i < 15; i++) {
        log.appendAsLeader(KeyedRecords.batch(List.of(new Keyed("k" + (i % 2), "e" + epoch + "-" + i)),
            System.currentTimeMillis(), 1), epoch);
      }
    }
    log.updateHighWatermark(log.logEndOffset());
    List<EpochEntry> before = log.epochEntries();
    assertThat(before).hasSize(4);
    cleanFully(cleaner(1 << 20, Clock.systemUTC(), CleanerHook.NONE), log, 0, new AtomicLong());
    assertThat(KeyedRecords.readAll(log)).hasSizeLessThan(20);
    log.abandon();
    // Without a stored cache, the log rebuilds it from batch headers.
    try (PartitionLog reopened = PartitionLog.open(dir, config, PartitionCheckpoint.NONE, Clock.systemUTC())) {
      assertThat(reopened.epochEntries()).isEqualTo(before);
    }
  }

  @Test
  void aFollowerTakesTheCleanedLogWithItsGapsButRefusesAnUnmarkedGap() throws Exception {
    LogConfig config = compacted("segment.bytes", "1500", "delete.retention.ms", "0");
    Written leader = new Written(PartitionLog.open(tmp.resolve("leader"), config, PartitionCheckpoint.NONE, Clock.systemUTC()));
    for (int i = 0; i < 150; i++) {
      leader.append(List.of(new Keyed("k" + (i % 7), "v" + i), new Keyed("j" + (i % 5), "w" + i)), 2);
    }
    cleanFully(cleaner(1 << 20, Clock.systemUTC(), CleanerHook.NONE), leader.log, 0, new AtomicLong());
    List<Read> leaderRecords = KeyedRecords.readAll(leader.log);
    // The follower's tiny segments roll at batches that follow gaps: its segments may start below their first batch.
    LogConfig followerConfig = compacted("segment.bytes", "300");
    try (PartitionLog follower = PartitionLog.open(tmp.resolve("follower"), followerConfig, PartitionCheckpoint.NONE,
        Clock.systemUTC())) {
      long offset = 0;
      while (offset < leader.log.logEndOffset()) {
        LogReadResult chunk = leader.log.read(offset, 3000, Long.MAX_VALUE, true);
        follower.appendAsFollower(chunk.entries());
        offset = chunk.nextOffset();
      }
      assertThat(KeyedRecords.readAll(follower)).isEqualTo(leaderRecords);
      assertThat(follower.logEndOffset()).isEqualTo(leader.log.logEndOffset());
      follower.abandon();
    }
    // Every segment re-validated: the marked gaps pass, nothing is truncated.
    try (PartitionLog recovered = PartitionLog.open(tmp.resolve("follower"), followerConfig, PartitionCheckpoint.NONE,
        Clock.systemUTC())) {
      assertThat(recovered.recoveryReport().truncatedAtOffset()).isEqualTo(-1);
      assertThat(KeyedRecords.readAll(recovered)).isEqualTo(leaderRecords);
    }
    // A batch above the log end without the cleaner's mark is refused, as before compaction.
    try (PartitionLog other = PartitionLog.open(tmp.resolve("other"), config, PartitionCheckpoint.NONE, Clock.systemUTC())) {
      StoredBatch ahead = StoredBatch.build(5, 0, KeyedRecords.batch(List.of(new Keyed("a", "b")), 1, 1));
      assertThatThrownBy(() -> other.appendAsFollower(ahead.buffer()))
          .isInstanceOf(UnexpectedAppendOffsetException.class);
    }
    leader.log.close();
  }
}
