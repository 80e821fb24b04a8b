package dev.skein.storage.log;

import dev.skein.storage.state.PartitionCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.skein.storage.log.TestBatches.START_TIME;
import static dev.skein.storage.log.TestBatches.batch;
import static dev.skein.storage.log.TestBatches.config;
import static org.assertj.core.api.Assertions.assertThat;

/** Readers running alongside appends and rolls only ever see whole, valid, dense batches. */
class PartitionLogConcurrencyTest {

  private static final int APPENDS = 3_000;

  @TempDir
  Path tempDir;

  @Test
  void concurrent_readers_never_see_a_partial_batch() throws Exception {
    PartitionLog log = PartitionLog.open(tempDir.resolve("topic-0"),
        config("segment.bytes", "20000", "index.interval.bytes", "300"), PartitionCheckpoint.NONE,
        new MutableClock(START_TIME));
    AtomicBoolean writing = new AtomicBoolean(true);
    ExecutorService executor = Executors.newFixedThreadPool(3);
    try {
      Future<?> writer = executor.submit(() -> {
        Random random = new Random(7);
        try {
          for (int i = 0; i < APPENDS; i++) {
            log.appendAsLeader(batch(1 + random.nextInt(10), random.nextInt(700), START_TIME + i, i), 1);
          }
        } finally {
          writing.set(false);
        }
      });
      Future<Integer> randomReader = executor.submit(() -> {
        Random random = new Random(11);
        int reads = 0;
        while (writing.get()) {
          long end = log.logEndOffset();
          long offset = random.nextLong(0, end + 1);
          LogReadResult read = log.read(offset, random.nextInt(10_000), Long.MAX_VALUE, true);
          assertDense(read.batches()); // batches() validates every entry's layout and CRC
          if (!read.isEmpty()) {
            assertThat(read.firstBatchBaseOffset()).isLessThanOrEqualTo(offset);
            assertThat(read.batches().get(0).lastOffset()).isGreaterThanOrEqualTo(offset);
          }
          reads++;
        }
        return reads;
      });
      Future<Integer> tailReader = executor.submit(() -> {
        long next = 0;
        int batches = 0;
        while (writing.get() || next < log.logEndOffset()) {
          List<StoredBatch> read = log.read(next, 50_000, Long.MAX_VALUE, true).batches();
          assertDense(read);
          if (!read.isEmpty()) {
            assertThat(read.get(0).baseOffset()).isEqualTo(next);
            next = read.get(read.size() - 1).nextOffset();
            batches += read.size();
          }
        }
        return batches;
      });
      writer.get(60, TimeUnit.SECONDS);
      assertThat(randomReader.get(60, TimeUnit.SECONDS)).isPositive();
      assertThat(tailReader.get(60, TimeUnit.SECONDS)).isEqualTo(APPENDS);
    } finally {
      executor.shutdown();
      assertThat(executor.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
      log.close();
    }
    assertThat(log.checkpoint().recoveryPoint()).isEqualTo(log.logEndOffset());
  }

  private static void assertDense(List<StoredBatch> batches) {
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i < batches.size(); i++) {
      if (batches.get(i).baseOffset() != batches.get(i - 1).nextOffset()) {
        gaps.add(batches.get(i).baseOffset());
      }
    }
    assertThat(gaps).isEmpty();
  }
}
