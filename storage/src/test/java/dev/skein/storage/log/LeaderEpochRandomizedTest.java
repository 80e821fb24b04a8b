package dev.skein.storage.log;

import dev.skein.storage.state.PartitionCheckpoint;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;

import static dev.skein.storage.log.TestBatches.START_TIME;
import static dev.skein.storage.log.TestBatches.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Random appends (as leader and as follower, in random epochs), new leaders' epochs, truncations, clean and
 * unclean reopenings and lost cache writes; after every step the log's leader-epoch cache must equal the
 * one rebuilt from scratch from its batches (plus the entry of a new leader that has not written yet).
 */
class LeaderEpochRandomizedTest {

  private static final int OPERATIONS = 300;

  @TempDir
  Path tempDir;

  /** Fixed seeds keep failures reproducible; one fresh seed per run widens the search. */
  static LongStream seeds() {
    return LongStream.concat(LongStream.of(1, 2, 3, 101, 0xE90C4), LongStream.of(System.nanoTime()));
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void the_cache_always_equals_the_one_rebuilt_from_the_log(long seed) {
    System.out.println("LeaderEpochRandomizedTest seed " + seed);
    try {
      new Run(seed).run();
    } catch (Throwable failure) {
      throw new AssertionError("Randomized leader epoch test failed with seed " + seed
          + " (rerun with that seed in seeds())", failure);
    }
  }

  private final class Run {
    private final Random random;
    private final LogConfig config;
    private final Path dir;
    private final TestEpochCheckpoint checkpoint = new TestEpochCheckpoint();
    private final MutableClock clock = new MutableClock(START_TIME);
    private PartitionLog log;
    /** The entry of a leader epoch in which nothing has been written yet, or null. */
    private EpochEntry newLeaderEntry;
    private long timestamp = START_TIME;

    Run(long seed) {
      random = new Random(seed);
      config = config(
          "segment.bytes", String.valueOf(400 + random.nextInt(3_000)),
          "index.interval.bytes", String.valueOf(random.nextInt(1_000)),
          "segment.index.bytes", String.valueOf(48 + random.nextInt(400)));
      dir = tempDir.resolve("epochs-" + seed).resolve("topic-0");
    }

    void run() {
      log = PartitionLog.open(dir, config, PartitionCheckpoint.NONE, checkpoint, clock);
      try {
        for (int op = 0; op < OPERATIONS; op++) {
          String step = step();
          assertMatchesTheLog(step + " (operation " + op + ")");
        }
        log.close();
        checkpoint.forget();
        log = PartitionLog.open(dir, config, log.checkpoint(), checkpoint, clock);
        newLeaderEntry = null;
        assertMatchesTheLog("rebuilt from nothing at the end");
        assertThat(log.epochLoadReport().batchesScanned()).isEqualTo(batchesOf(log).size());
      } finally {
        if (!log.isClosed()) {
          log.close();
        }
      }
    }

    private String step() {
      int dice = random.nextInt(100);
      if (dice < 30) {
        return appendAsLeader();
      } else if (dice < 55) {
        return appendAsFollower(false);
      } else if (dice < 63) {
        int epoch = nextEpoch();
        long logEnd = log.logEndOffset();
        boolean above = epoch > log.latestEpoch().orElse(-1);
        boolean assigned = log.assignEpoch(epoch, logEnd);
        assertThat(assigned).as("assigned").isEqualTo(above);
        if (assigned) {
          newLeaderEntry = new EpochEntry(epoch, logEnd);
        }
        return "assignEpoch(" + epoch + ", " + logEnd + ")";
      } else if (dice < 75) {
        long offset = random.nextLong(log.logStartOffset(), log.logEndOffset() + 3);
        log.truncateTo(offset);
        newLeaderEntry = null;
        return "truncateTo(" + offset + ")";
      } else if (dice < 77) {
        long offset = log.logEndOffset() + random.nextInt(50);
        log.truncateFullyAndStartAt(offset);
        newLeaderEntry = null;
        return "truncateFullyAndStartAt(" + offset + ")";
      } else if (dice < 85) {
        log.close();
        reopen();
        assertThat(log.epochLoadReport().scanned()).as("a clean reopen scans nothing").isFalse();
        return "reopen";
      } else if (dice < 91) {
        crash();
        return "crash";
      } else if (dice < 97) {
        // The cache writes of one append are lost, then the process dies. The log writes them ahead of the
        // batches, so only a failing state store could do this; opening repairs it as long as the batches'
        // epochs do not fall (as in any log the replication protocol builds).
        checkpoint.dropWrites(true);
        String append = random.nextBoolean() ? appendAsLeader() : appendAsFollower(true);
        checkpoint.dropWrites(false);
        crash();
        return append + " losing its cache writes, then crash";
      } else {
        log.close();
        checkpoint.forget();
        reopen();
        return "reopen with the stored cache gone";
      }
    }

    private void crash() {
      PartitionCheckpoint last = log.checkpoint();
      log.abandon();
      log = PartitionLog.open(dir, config, last, checkpoint, clock);
      newLeaderEntry = null;
    }

    private void reopen() {
      log = PartitionLog.open(dir, config, log.checkpoint(), checkpoint, clock);
      newLeaderEntry = null;
    }

    /** Mostly the latest epoch or a little above it; sometimes below. */
    private int nextEpoch() {
      int latest = log.latestEpoch().orElse(0);
      return Math.max(0, latest + random.nextInt(5) - 1);
    }

    private String appendAsLeader() {
      int epoch = nextEpoch();
      BatchAppend batch = TestBatches.batch(1 + random.nextInt(5), random.nextInt(300), ++timestamp,
          random.nextLong());
      int latest = log.latestEpoch().orElse(-1);
      if (epoch < latest) {
        long logEnd = log.logEndOffset();
        assertThatThrownBy(() -> log.appendAsLeader(batch, epoch)).isInstanceOf(FencedLeaderEpochException.class);
        assertThat(log.logEndOffset()).isEqualTo(logEnd);
        return "fenced appendAsLeader(epoch " + epoch + ")";
      }
      log.appendAsLeader(batch, epoch);
      newLeaderEntry = null;
      return "appendAsLeader(epoch " + epoch + ")";
    }

    /**
     * One to five batches whose epochs wander up (and, unless {@code rising}, sometimes down) from around the
     * last batch's epoch.
     */
    private String appendAsFollower(boolean rising) {
      int count = 1 + random.nextInt(5);
      int fall = rising ? 0 : 1;
      int epoch = Math.max(0, log.lastBatchEpoch() + random.nextInt(4) - fall);
      long base = log.logEndOffset();
      List<StoredBatch> batches = new ArrayList<>();
      List<Integer> epochs = new ArrayList<>();
      int size = 0;
      for (int i = 0; i < count; i++) {
        StoredBatch batch = StoredBatch.build(base, epoch, TestBatches.batch(1 + random.nextInt(4),
            random.nextInt(300), ++timestamp, random.nextLong()));
        batches.add(batch);
        epochs.add(epoch);
        size += batch.sizeInBytes();
        base = batch.nextOffset();
        epoch = Math.max(0, epoch + random.nextInt(4) - fall);
      }
      ByteBuffer entries = ByteBuffer.allocate(size);
      batches.forEach(b -> entries.put(b.buffer()));
      log.appendAsFollower(entries.flip());
      newLeaderEntry = null;
      return "appendAsFollower(epochs " + epochs + ")";
    }

    private void assertMatchesTheLog(String after) {
      List<StoredBatch> batches = batchesOf(log);
      List<EpochEntry> expected = rebuild(batches, log.logStartOffset());
      if (newLeaderEntry != null) {
        expected.add(newLeaderEntry);
      }
      assertThat(log.epochEntries()).as("cache after %s", after).isEqualTo(expected);
      assertThat(checkpoint.read()).as("stored cache after %s", after).contains(expected);
      assertThat(log.lastBatchEpoch()).as("last batch epoch after %s", after)
          .isEqualTo(batches.isEmpty() ? -1 : batches.get(batches.size() - 1).leaderEpoch());
      int requested = random.nextInt(log.latestEpoch().orElse(0) + 3) - 1;
      assertThat(log.endOffsetForEpoch(requested)).as("end of epoch %d after %s", requested, after)
          .isEqualTo(endOffsetFor(expected, requested, log.logEndOffset()));
    }
  }

  private static List<StoredBatch> batchesOf(PartitionLog log) {
    List<StoredBatch> batches = new ArrayList<>();
    for (Iterator<StoredBatch> it = log.batchesFrom(log.logStartOffset()); it.hasNext(); ) {
      batches.add(it.next());
    }
    return batches;
  }

  /** The cache from scratch: each batch whose epoch is above every earlier one starts that epoch. */
  private static List<EpochEntry> rebuild(List<StoredBatch> batches, long logStartOffset) {
    List<EpochEntry> entries = new ArrayList<>();
    int latest = -1;
    for (StoredBatch batch : batches) {
      if (batch.leaderEpoch() > latest) {
        entries.add(new EpochEntry(batch.leaderEpoch(), Math.max(batch.baseOffset(), logStartOffset)));
        latest = batch.leaderEpoch();
      }
    }
    return entries;
  }

  /** KIP-101's answer by linear search. */
  private static EpochEndOffset endOffsetFor(List<EpochEntry> entries, int requested, long logEndOffset) {
    if (entries.isEmpty() || requested < 0 || requested > entries.get(entries.size() - 1).epoch()) {
      return EpochEndOffset.UNDEFINED;
    }
    if (requested == entries.get(entries.size() - 1).epoch()) {
      return new EpochEndOffset(requested, logEndOffset);
    }
    for (int i = entries.size() - 2; i >= 0; i--) {
      if (entries.get(i).epoch() <= requested) {
        return new EpochEndOffset(entries.get(i).epoch(), entries.get(i + 1).startOffset());
      }
    }
    return EpochEndOffset.UNDEFINED;
  }
}
