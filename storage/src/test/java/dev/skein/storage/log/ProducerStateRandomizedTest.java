package dev.skein.storage.log;

import dev.skein.storage.log.ProducerStateModel.Outcome;
import dev.skein.storage.state.PartitionCheckpoint;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;

import static dev.skein.storage.log.ProducerStateModel.batchesOf;
import static dev.skein.storage.log.ProducerStateModel.plus;
import static dev.skein.storage.log.TestBatches.START_TIME;
import static dev.skein.storage.log.TestBatches.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Several idempotent producers send new batches, retries (some too old to be recognized), batches out of order,
 * in new and stale epochs, to a log that also takes follower appends, truncations, snapshots, clean reopenings
 * and crashes. Each leader append must get the answer the state rebuilt from the log dictates, and after every
 * step the log's producer state must equal the one rebuilt from scratch from its batches.
 */
class ProducerStateRandomizedTest {

  private static final int OPERATIONS = 300;

  @TempDir
  Path tempDir;

  /** Seeds known to reach every outcome; the coverage check holds them to it. */
  private static final long[] FIXED_SEEDS = {1, 2, 3, 42, 0x5EC0};

  /** Fixed seeds keep failures reproducible; one fresh seed per run widens the search. */
  static LongStream seeds() {
    return LongStream.concat(LongStream.of(FIXED_SEEDS), LongStream.of(System.nanoTime()));
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void the_state_always_equals_the_one_rebuilt_from_the_log(long seed) {
    System.out.println("ProducerStateRandomizedTest seed " + seed);
    try {
      // A fresh seed checks every invariant but may happen to draw no retry that is still
      // recognized (say, when evictions drop every producer first): only the fixed seeds must
      // show every outcome, so that the test keeps exercising each.
      new Run(seed, LongStream.of(FIXED_SEEDS).anyMatch(fixed -> fixed == seed)).run();
    } catch (Throwable failure) {
      throw new AssertionError("Randomized producer state test failed with seed " + seed
          + " (rerun with that seed in seeds())", failure);
    }
  }

  /** What a producer believes: its epoch, its next sequence and what it sent (for retries). */
  private static final class Client {
    final long producerId;
    int epoch;
    int nextSequence;
    final List<int[]> sent = new ArrayList<>(); // {epoch, base sequence, records}

    Client(long producerId, int epoch) {
      this.producerId = producerId;
      this.epoch = epoch;
    }
  }

  private final class Run {
    private final Random random;
    private final LogConfig config;
    private final Path dir;
    private final int maxProducers;
    private final InMemoryProducerStateCheckpoint snapshots = new InMemoryProducerStateCheckpoint();
    private final InMemoryLeaderEpochCheckpoint epochs = new InMemoryLeaderEpochCheckpoint();
    private final MutableClock clock = new MutableClock(START_TIME);
    private final List<Client> clients = new ArrayList<>();
    private PartitionLog log;
    private long timestamp = START_TIME;
    private final Map<Outcome, Integer> outcomes = new HashMap<>();
    private final boolean requireEveryOutcome;

    Run(long seed, boolean requireEveryOutcome) {
      this.requireEveryOutcome = requireEveryOutcome;
      random = new Random(seed);
      config = config(
          "segment.bytes", String.valueOf(600 + random.nextInt(3_000)),
          "index.interval.bytes", String.valueOf(random.nextInt(1_000)),
          "segment.index.bytes", String.valueOf(48 + random.nextInt(400)));
      dir = tempDir.resolve("producers-" + seed).resolve("topic-0");
      int producers = 3 + random.nextInt(5);
      // Sometimes fewer slots than producers, so eviction happens and must be reproduced by rebuilds.
      maxProducers = random.nextBoolean() ? producers - 1 - random.nextInt(2) : 1_000;
      for (int i = 0; i < producers; i++) {
        clients.add(new Client(1_000 + i * 7L, random.nextInt(3)));
      }
    }

    void run() {
      log = open(PartitionCheckpoint.NONE);
      try {
        for (int op = 0; op < OPERATIONS; op++) {
          String step = step();
          assertMatchesTheLog(step + " (operation " + op + ")");
        }
        if (requireEveryOutcome) {
          assertThat(outcomes).as("outcomes seen").containsKeys(Outcome.APPEND, Outcome.DUPLICATE,
              Outcome.OUT_OF_ORDER);
        }
        log.close();
        log = PartitionLog.open(dir, config, log.checkpoint(), epochs, new InMemoryProducerStateCheckpoint(), clock,
            Runnable::run, maxProducers);
        assertMatchesTheLog("rebuilt from nothing at the end");
        assertThat(log.producerLoadReport().batchesReplayed()).isEqualTo(batchesOf(log).size());
      } finally {
        if (!log.isClosed()) {
          log.close();
        }
      }
    }

    private PartitionLog open(PartitionCheckpoint checkpoint) {
      return PartitionLog.open(dir, config, checkpoint, epochs, snapshots, clock, Runnable::run, maxProducers);
    }

    private String step() {
      int dice = random.nextInt(100);
      if (dice < 45) {
        return appendAsLeader(clients.get(random.nextInt(clients.size())));
      } else if (dice < 52) {
        log.appendAsLeader(TestBatches.batch(1 + random.nextInt(3), random.nextInt(100), ++timestamp,
            random.nextLong()), 0);
        return "appendAsLeader(not idempotent)";
      } else if (dice < 64) {
        return appendAsFollower();
      } else if (dice < 72) {
        long offset = random.nextLong(log.logStartOffset(), log.logEndOffset() + 3);
        long newEnd = log.truncateTo(offset);
        return "truncateTo(" + offset + ") -> " + newEnd;
      } else if (dice < 73) {
        long offset = log.logEndOffset() + random.nextInt(20);
        log.truncateFullyAndStartAt(offset);
        return "truncateFullyAndStartAt(" + offset + ")";
      } else if (dice < 82) {
        log.updateHighWatermark(random.nextLong(log.logStartOffset(), log.logEndOffset() + 1));
        boolean written = log.snapshotProducerState();
        return "snapshot (" + (written ? "written" : "unchanged") + ")";
      } else if (dice < 87) {
        log.close();
        log = open(log.checkpoint());
        assertThat(log.producerLoadReport().batchesReplayed()).as("a clean reopen replays nothing").isZero();
        assertThat(log.producerLoadReport().snapshotOffset()).isEqualTo(log.logEndOffset());
        return "reopen";
      } else if (dice < 92) {
        PartitionCheckpoint last = log.checkpoint();
        log.abandon();
        log = open(last);
        return "crash (replayed " + log.producerLoadReport().batchesReplayed() + " from "
            + log.producerLoadReport().replayedFromOffset() + ")";
      } else {
        // A producer that got errors learns where it stands, as a client would after UNKNOWN_PRODUCER_ID or
        // OUT_OF_ORDER_SEQUENCE: it takes the partition's view, or starts over in a new epoch.
        Client client = clients.get(random.nextInt(clients.size()));
        var known = log.producerState(client.producerId);
        if (known.isPresent() && random.nextBoolean()) {
          client.epoch = known.get().producerEpoch();
          client.nextSequence = known.get().nextSequence();
        } else {
          client.epoch++;
          client.nextSequence = 0;
        }
        return "producer " + client.producerId + " resyncs to epoch " + client.epoch + " sequence "
            + client.nextSequence;
      }
    }

    private String appendAsLeader(Client client) {
      int epoch = client.epoch;
      int sequence = client.nextSequence;
      int records = 1 + random.nextInt(4);
      String kind;
      int dice = random.nextInt(100);
      if (dice < 45) {
        kind = "next";
      } else if (dice < 65 && !client.sent.isEmpty()) {
        int[] retried = client.sent.get(client.sent.size() - 1 - random.nextInt(Math.min(7, client.sent.size())));
        epoch = retried[0];
        sequence = retried[1];
        records = retried[2];
        kind = "retry";
      } else if (dice < 75) {
        sequence = plus(sequence, 1 + random.nextInt(3));
        kind = "gap";
      } else if (dice < 83) {
        epoch++;
        sequence = random.nextInt(4) == 0 ? 1 + random.nextInt(5) : 0;
        kind = "new epoch";
      } else if (dice < 90) {
        epoch = Math.max(0, epoch - 1);
        kind = "old epoch";
      } else {
        sequence = 0;
        kind = "restart at 0";
      }
      BatchAppend batch = TestBatches.idempotent(client.producerId, epoch, sequence, records, random.nextInt(120),
          ++timestamp, random.nextLong());
      ProducerBatchMetadata[] original = new ProducerBatchMetadata[1];
      Outcome expected = ProducerStateModel.outcome(ProducerStateModel.fold(batchesOf(log), maxProducers),
          client.producerId, epoch, sequence, records, original);
      outcomes.merge(expected, 1, Integer::sum);
      long logEnd = log.logEndOffset();
      String description = "appendAsLeader(" + kind + ": producer " + client.producerId + " epoch " + epoch
          + " sequence " + sequence + " records " + records + ") expecting " + expected;
      switch (expected) {
        case APPEND -> {
          LogAppendResult result = log.appendAsLeader(batch, 0);
          assertThat(result.duplicate()).as(description).isFalse();
          assertThat(result.firstOffset()).as(description).isEqualTo(logEnd);
          client.epoch = epoch;
          client.nextSequence = plus(sequence, records);
          client.sent.add(new int[] {epoch, sequence, records});
        }
        case DUPLICATE -> {
          LogAppendResult result = log.appendAsLeader(batch, 0);
          assertThat(result.duplicate()).as(description).isTrue();
          assertThat(result.firstOffset()).as(description).isEqualTo(original[0].firstOffset());
          assertThat(result.lastOffset()).as(description).isEqualTo(original[0].lastOffset());
        }
        case INVALID_EPOCH -> assertThatThrownBy(() -> log.appendAsLeader(batch, 0)).as(description)
            .isInstanceOf(InvalidProducerEpochException.class);
        case OUT_OF_ORDER -> assertThatThrownBy(() -> log.appendAsLeader(batch, 0)).as(description)
            .isInstanceOf(OutOfOrderSequenceException.class);
        case UNKNOWN_PRODUCER -> assertThatThrownBy(() -> log.appendAsLeader(batch, 0)).as(description)
            .isInstanceOf(UnknownProducerIdException.class);
        default -> throw new AssertionError(expected);
      }
      if (expected != Outcome.APPEND) {
        assertThat(log.logEndOffset()).as("log end after " + description).isEqualTo(logEnd);
      }
      return description;
    }

    /**
     * One to four batches as another leader would have written them: mostly producers continuing their
     * sequences, some not idempotent, some placing a producer just below the sequence wrap.
     */
    private String appendAsFollower() {
      int count = 1 + random.nextInt(4);
      long base = log.logEndOffset();
      List<StoredBatch> batches = new ArrayList<>();
      List<String> described = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        int records = 1 + random.nextInt(4);
        int dice = random.nextInt(10);
        BatchAppend append;
        if (dice < 2) {
          append = TestBatches.batch(records, random.nextInt(100), ++timestamp, random.nextLong());
          described.add("-1");
        } else {
          Client client = clients.get(random.nextInt(clients.size()));
          if (dice == 2) {
            client.nextSequence = Integer.MAX_VALUE - random.nextInt(6);
          }
          append = TestBatches.idempotent(client.producerId, client.epoch, client.nextSequence, records,
              random.nextInt(100), ++timestamp, random.nextLong());
          described.add(client.producerId + "@" + client.epoch + ":" + client.nextSequence);
          client.sent.add(new int[] {client.epoch, client.nextSequence, records});
          client.nextSequence = plus(client.nextSequence, records);
        }
        StoredBatch batch = StoredBatch.build(base, 0, append);
        batches.add(batch);
        base = batch.nextOffset();
      }
      log.appendAsFollower(PartitionLogTest.entries(batches.toArray(StoredBatch[]::new)));
      return "appendAsFollower(" + described + ")";
    }

    private void assertMatchesTheLog(String after) {
      List<StoredBatch> batches = batchesOf(log);
      assertThat(log.producerStates()).as("producer state after %s", after)
          .isEqualTo(ProducerStateModel.rebuild(batches, maxProducers));
      assertThat(snapshots.offsets()).as("stored snapshots after %s", after)
          .allSatisfy(offset -> assertThat(offset).isBetween(log.logStartOffset(), log.logEndOffset()))
          .hasSizeLessThanOrEqualTo(PartitionLog.PRODUCER_SNAPSHOTS_KEPT + 1);
    }
  }
}
