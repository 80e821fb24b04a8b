package dev.skein.storage.log;

import dev.skein.storage.state.PartitionCheckpoint;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;

import static dev.skein.storage.log.TestBatches.START_TIME;
import static dev.skein.storage.log.TestBatches.bytes;
import static dev.skein.storage.log.TestBatches.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Random sequences of appends, reads, time lookups, truncations, clean and unclean reopenings, checked
 * byte for byte against a model (the list of entries the log must hold).
 */
class PartitionLogRandomizedTest {

  private static final int OPERATIONS = 250;

  @TempDir
  Path tempDir;

  /** Fixed seeds keep failures reproducible; one fresh seed per run widens the search. */
  static LongStream seeds() {
    return LongStream.concat(LongStream.of(1, 2, 3, 20251122, 0xC0FFEE), LongStream.of(System.nanoTime()));
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void the_log_holds_exactly_what_was_appended(long seed) {
    try {
      run(seed);
    } catch (Throwable failure) {
      throw new AssertionError("Randomized log test failed with seed " + seed
          + " (rerun with that seed in seeds())", failure);
    }
  }

  private void run(long seed) {
    Random random = new Random(seed);
    MutableClock clock = new MutableClock(START_TIME);
    LogConfig config = config(
        "segment.bytes", String.valueOf(300 + random.nextInt(20_000)),
        "index.interval.bytes", String.valueOf(random.nextInt(3_000)),
        "segment.index.bytes", String.valueOf(48 + random.nextInt(400)),
        "segment.ms", String.valueOf(random.nextBoolean() ? 5_000 : Long.MAX_VALUE));
    Path dir = tempDir.resolve("random-" + seed).resolve("topic-0");
    List<StoredBatch> model = new ArrayList<>();
    PartitionLog log = PartitionLog.open(dir, config, PartitionCheckpoint.NONE, clock);
    long timestamp = START_TIME;
    int epoch = 0;
    try {
      for (int op = 0; op < OPERATIONS; op++) {
        int dice = random.nextInt(100);
        if (dice < 60) {
          timestamp += random.nextInt(2_000) - 500; // mostly rising, sometimes not
          appendRandom(log, model, random, timestamp, epoch, clock);
        } else if (dice < 68) {
          clock.advance(Duration.ofMillis(random.nextInt(3_000)));
        } else if (dice < 80) {
          checkRandomRead(log, model, random);
        } else if (dice < 86) {
          checkTimestampLookup(log, model, random.nextLong(START_TIME - 1_000, timestamp + 2_000));
        } else if (dice < 89 && !model.isEmpty()) {
          long offset = random.nextLong(model.get(0).baseOffset(), nextOffset(model) + 1);
          long newEnd = log.truncateTo(offset);
          model.removeIf(b -> b.lastOffset() >= offset);
          assertThat(newEnd).isEqualTo(nextOffset(model));
          epoch++;
        } else if (dice < 95) {
          log.close();
          log = PartitionLog.open(dir, config, log.checkpoint(), clock);
          assertThat(log.recoveryReport().recoveryRan()).as("recovery after a clean close").isFalse();
        } else if (dice < 98) {
          PartitionCheckpoint checkpoint = log.checkpoint();
          log.abandon(); // a crash: recovery must keep every whole batch the page cache holds
          log = PartitionLog.open(dir, config, checkpoint, clock);
          assertThat(log.recoveryReport().truncated()).isFalse();
        } else {
          log.flush();
          assertThat(log.recoveryPoint()).isEqualTo(log.logEndOffset());
        }
        assertThat(log.logEndOffset()).isEqualTo(nextOffset(model));
      }
      assertHolds(log, model);
      log.close();
      PartitionLog reopened = PartitionLog.open(dir, config, log.checkpoint(), clock);
      assertThat(reopened.recoveryReport().recoveryRan()).isFalse();
      assertHolds(reopened, model);
      reopened.close();
      PartitionLog recovered = PartitionLog.open(dir, config, PartitionCheckpoint.NONE, clock);
      assertThat(recovered.recoveryReport().truncated()).isFalse();
      assertHolds(recovered, model);
      recovered.close();
    } finally {
      if (!log.isClosed()) {
        log.close();
      }
    }
  }

  private static void appendRandom(PartitionLog log, List<StoredBatch> model, Random random, long timestamp,
                   int epoch, MutableClock clock) {
    int records = 1 + random.nextInt(random.nextInt(10) == 0 ? 500 : 20);
    byte[] payload = new byte[random.nextInt(random.nextInt(10) == 0 ? 6_000 : 600)];
    random.nextBytes(payload);
    boolean logAppendTime = random.nextInt(10) == 0;
    // Not idempotent (producer id -1): producer state has its own randomized test.
    BatchAppend append = new BatchAppend(records, timestamp - random.nextInt(100), timestamp, -1,
        random.nextInt(100), random.nextInt(1_000), random.nextInt(6),
        logAppendTime ? BatchLayout.TIMESTAMP_TYPE_LOG_APPEND_TIME : 1, 0, ByteBuffer.wrap(payload));
    long base = nextOffset(model);
    LogAppendResult result = log.appendAsLeader(append, epoch);
    assertThat(result.firstOffset()).isEqualTo(base);
    assertThat(result.lastOffset()).isEqualTo(base + records - 1);
    BatchAppend asStored = logAppendTime
        ? new BatchAppend(records, append.firstTimestamp(), clock.millis(), append.producerId(),
        append.producerEpoch(), append.baseSequence(), append.compression(), append.timestampType(), 0,
        ByteBuffer.wrap(payload))
        : append;
    model.add(StoredBatch.build(base, epoch, asStored));
  }

  private static void checkRandomRead(PartitionLog log, List<StoredBatch> model, Random random) {
    long start = log.logStartOffset();
    long end = log.logEndOffset();
    long offset = random.nextLong(start, end + 1);
    int maxBytes = random.nextInt(8_000);
    long maxOffsetExclusive = random.nextBoolean() ? Long.MAX_VALUE : random.nextLong(offset, end + 2);
    boolean minOneBatch = random.nextBoolean();

    LogReadResult read = log.read(offset, maxBytes, maxOffsetExclusive, minOneBatch);
    List<StoredBatch> got = read.batches();
    int first = indexOfBatchContaining(model, offset);
    if (first < 0) {
      assertThat(got).isEmpty();
      return;
    }
    StoredBatch containing = model.get(first);
    boolean firstAllowed = containing.lastOffset() < maxOffsetExclusive
        && (containing.sizeInBytes() <= maxBytes || minOneBatch);
    if (!firstAllowed) {
      assertThat(got).as("read %d max %d below %d", offset, maxBytes, maxOffsetExclusive).isEmpty();
      return;
    }
    assertThat(got).as("read %d max %d below %d", offset, maxBytes, maxOffsetExclusive).isNotEmpty();
    assertThat(read.firstBatchBaseOffset()).isEqualTo(containing.baseOffset());
    assertThat(got).isEqualTo(model.subList(first, first + got.size()));
    StoredBatch last = got.get(got.size() - 1);
    assertThat(last.lastOffset()).isLessThan(maxOffsetExclusive);
    assertThat(read.nextOffset()).isEqualTo(last.nextOffset());
    if (got.size() > 1) {
      assertThat(read.sizeInBytes()).isLessThanOrEqualTo(maxBytes);
    }
  }

  private static void checkTimestampLookup(PartitionLog log, List<StoredBatch> model, long timestamp) {
    StoredBatch expected = model.stream().filter(b -> b.maxTimestamp() >= timestamp).findFirst().orElse(null);
    if (expected == null) {
      assertThat(log.findFirstBatchAtOrAfterTimestamp(timestamp)).as("ts %d", timestamp).isEmpty();
    } else {
      assertThat(log.findFirstBatchAtOrAfterTimestamp(timestamp)).as("ts %d", timestamp).contains(expected);
    }
  }

  private static void assertHolds(PartitionLog log, List<StoredBatch> model) {
    List<StoredBatch> all = new ArrayList<>();
    log.batchesFrom(log.logStartOffset()).forEachRemaining(all::add);
    assertThat(all).hasSameSizeAs(model);
    for (int i = 0; i < model.size(); i++) {
      assertThat(bytes(all.get(i).buffer())).as("batch %d", i).isEqualTo(bytes(model.get(i).buffer()));
    }
    assertThat(log.logEndOffset()).isEqualTo(nextOffset(model));
    if (!model.isEmpty()) {
      assertThatThrownBy(() -> log.read(nextOffset(model) + 1, 100, Long.MAX_VALUE, true))
          .isInstanceOf(OffsetOutOfRangeException.class);
    }
  }

  private static int indexOfBatchContaining(List<StoredBatch> model, long offset) {
    for (int i = 0; i < model.size(); i++) {
      if (model.get(i).lastOffset() >= offset) {
        return i;
      }
    }
    return -1;
  }

  private static long nextOffset(List<StoredBatch> model) {
    return model.isEmpty() ? 0 : model.get(model.size() - 1).nextOffset();
  }
}
