package dev.skein.storage.log;

import static dev.skein.storage.log.TestBatches.START_TIME;
import static dev.skein.storage.log.TestBatches.batch;
import static dev.skein.storage.log.TestBatches.config;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.storage.state.PartitionCheckpoint;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durable mode (durability=fsync, or flush.messages=1) in the storage layer: a batch counts as stored only
 * once the group flusher has fsynced it, and then it survives losing the page cache; one fsync covers many
 * concurrent appends.
 *
 * <p>Losing the page cache (a power cut) is simulated by abandoning the logs without closing them and
 * cutting every segment file to the bytes its last fsync covered, then recovering from the checkpoint the
 * log last had. The same test with durability off shows that acknowledgements given before an fsync are
 * lost that way, so the test can fail.
 */
class DurableLogTest {

  private static final int PARTITIONS = 4;
  private static final int WRITERS_PER_PARTITION = 4;
  private static final int APPENDS_PER_WRITER = 60;

  @TempDir
  Path tempDir;

  private final MutableClock clock = new MutableClock(START_TIME);
  private final List<PartitionLog> toClose = new ArrayList<>();
  private LogFlusher flusher;

  @AfterEach
  void close() {
    toClose.stream().filter(log -> !log.isClosed()).forEach(PartitionLog::close);
    if (flusher != null) {
      flusher.close();
    }
  }

  /** An acknowledged batch: where it is and its payload seed. */
  private record Acked(int partition, long baseOffset, long lastOffset) {}

  private static LogConfig durableConfig(String durabilityKey, String durabilityValue) {
    // Small segments, so rolls happen under load and recovery crosses segment boundaries.
    return config("segment.bytes", "16384", "index.interval.bytes", "1024", durabilityKey, durabilityValue);
  }

  private List<PartitionLog> openLogs(LogConfig config) {
    flusher = new LogFlusher("test");
    List<PartitionLog> logs = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      PartitionLog log = PartitionLog.open(tempDir.resolve("topic-" + p), config, PartitionCheckpoint.NONE, clock);
      log.attachFlusher(flusher);
      logs.add(log);
    }
    return logs;
  }

  /**
   * Appends concurrently from several writers per log; a writer counts its batch as acknowledged after the
   * append returns and, in durable mode, after the flush it asked for completed (what acks waits for).
   */
  private List<Acked> writeConcurrently(List<PartitionLog> logs, boolean waitForFsync) throws Exception {
    List<Acked> acked = Collections.synchronizedList(new ArrayList<>());
    ExecutorService writers = Executors.newFixedThreadPool(PARTITIONS * WRITERS_PER_PARTITION);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        for (int w = 0; w < WRITERS_PER_PARTITION; w++) {
          int partition = p;
          long seed = p * 1000L + w;
          done.add(writers.submit(() -> {
            Random random = new Random(seed);
            PartitionLog log = logs.get(partition);
            for (int i = 0; i < APPENDS_PER_WRITER; i++) {
              LogAppendResult result = log.appendAsLeader(
                  batch(1 + random.nextInt(4), 100 + random.nextInt(400), START_TIME + i, random.nextLong()), 0);
              if (waitForFsync) {
                log.requestFlush().join();
                assertThat(log.flushedOffset()).isGreaterThan(result.lastOffset());
              }
              acked.add(new Acked(partition, result.firstOffset(), result.lastOffset()));
            }
            return null;
          }));
        }
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      writers.shutdown();
    }
    return acked;
  }

  private static List<StoredBatch> readAll(PartitionLog log) {
    List<StoredBatch> all = new ArrayList<>();
    log.batchesFrom(log.logStartOffset()).forEachRemaining(all::add);
    return all;
  }

  /**
   * Abandons the log as a power cut would: without closing it, every segment file is cut to the bytes its
   * last fsync covered. Returns the checkpoint the broker would last have written.
   */
  private static PartitionCheckpoint losePageCache(PartitionLog log) throws IOException {
    PartitionCheckpoint checkpoint = log.checkpoint();
    for (Map.Entry<Path, Integer> segment : log.durableSegmentSizes().entrySet()) {
      try (FileChannel channel = FileChannel.open(segment.getKey(), StandardOpenOption.WRITE)) {
        channel.truncate(segment.getValue());
      }
    }
    return checkpoint;
  }

  /** Crashes every log, recovers it, returns the batches acknowledged but missing afterwards. */
  private List<Acked> crashAndRecover(List<PartitionLog> logs, LogConfig config, List<Acked> acked)
      throws IOException {
    List<Acked> missing = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      PartitionLog before = logs.get(p);
      List<StoredBatch> written = readAll(before);
      PartitionCheckpoint checkpoint = losePageCache(before);
      // The abandoned instance is never closed: closing would fsync what the power cut lost.
      PartitionLog recovered = PartitionLog.open(before.dir(), config, checkpoint, clock);
      toClose.add(recovered);
      List<StoredBatch> after = readAll(recovered);
      // Consistent: exactly a prefix of what was written, dense, ending at the log end.
      assertThat(written).startsWith(after.toArray(StoredBatch[]::new));
      long next = recovered.logStartOffset();
      for (StoredBatch batch : after) {
        assertThat(batch.baseOffset()).isEqualTo(next);
        next = batch.lastOffset() + 1;
      }
      assertThat(recovered.logEndOffset()).isEqualTo(next);
      // And usable: the next append lands at the log end.
      assertThat(recovered.appendAsLeader(batch(1, 10, START_TIME), 1).firstOffset()).isEqualTo(next);
      int partition = p;
      long end = next;
      acked.stream().filter(a -> a.partition() == partition && a.lastOffset() >= end).forEach(missing::add);
    }
    return missing;
  }

  @Test
  void durableAppendsSurviveLosingThePageCache() throws Exception {
    LogConfig config = durableConfig("durability", "fsync");
    List<PartitionLog> logs = openLogs(config);
    List<Acked> acked = writeConcurrently(logs, true);
    assertThat(acked).hasSize(PARTITIONS * WRITERS_PER_PARTITION * APPENDS_PER_WRITER);
    assertThat(crashAndRecover(logs, config, acked)).isEmpty();
  }

  @Test
  void kafkasFlushMessagesOneIsDurableToo() throws Exception {
    LogConfig config = durableConfig("flush.messages", "1");
    assertThat(config.durable()).isTrue();
    List<PartitionLog> logs = openLogs(config);
    assertThat(crashAndRecover(logs, config, writeConcurrently(logs, true))).isEmpty();
  }

  @Test
  void withoutDurabilityAcknowledgedAppendsAreLostWithThePageCache() throws Exception {
    LogConfig config = durableConfig("durability", "none");
    assertThat(config.durable()).isFalse();
    List<PartitionLog> logs = openLogs(config);
    List<Acked> acked = writeConcurrently(logs, false);
    List<Acked> missing = crashAndRecover(logs, config, acked);
    // Rolled segments were fsynced on roll; the active segment of every log was only in the page cache.
    assertThat(missing).isNotEmpty();
    assertThat(missing.stream().map(Acked::partition).distinct()).hasSize(PARTITIONS);
  }

  @Test
  void oneFsyncCoversManyConcurrentAppendsAcrossPartitions() throws Exception {
    List<PartitionLog> logs = openLogs(durableConfig("durability", "fsync"));
    int appends = PARTITIONS * WRITERS_PER_PARTITION * APPENDS_PER_WRITER;
    List<Acked> acked = writeConcurrently(logs, true);
    assertThat(acked).hasSize(appends);
    long logFlushes = flusher.logFlushes();
    long rounds = flusher.rounds();
    System.out.printf("%d durable appends on %d logs: %d flush requests, %d log fsyncs, %d rounds%n", appends,
        PARTITIONS, flusher.requests(), logFlushes, rounds);
    // Every append asked for a flush (its own, and the one its waiter asked for)...
    assertThat(flusher.requests()).isGreaterThanOrEqualTo(appends);
    // ...but concurrent writers of a log share its fsyncs, and a round covers several logs.
    assertThat(logFlushes).isLessThan(appends / 2);
    assertThat(rounds).isLessThan(logFlushes);
  }

  @Test
  void flushedOffsetFollowsTruncationAndCloses() throws Exception {
    List<PartitionLog> logs = openLogs(durableConfig("durability", "fsync"));
    PartitionLog log = logs.get(0);
    for (int i = 0; i < 10; i++) {
      log.appendAsLeader(batch(2, 100, START_TIME + i), 0);
    }
    log.requestFlush().join();
    assertThat(log.flushedOffset()).isEqualTo(20);
    log.truncateTo(8);
    assertThat(log.flushedOffset()).isEqualTo(8);
    log.appendAsLeader(batch(2, 100, START_TIME), 0);
    log.requestFlush().join();
    assertThat(log.flushedOffset()).isEqualTo(10);
    log.close();
    PartitionLog reopened = PartitionLog.open(log.dir(), log.config(), log.checkpoint(), clock);
    toClose.add(reopened);
    assertThat(reopened.flushedOffset()).isEqualTo(10);
    // Closed logs are not flushed by the flusher any more; the waiter learns it.
    assertThat(log.requestFlush()).failsWithin(java.time.Duration.ofSeconds(10));
    toClose.addAll(logs.subList(1, PARTITIONS));
  }
}
