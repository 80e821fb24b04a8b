package dev.skein.storage.log;

import dev.skein.storage.log.KeyedRecords.Keyed;
import dev.skein.storage.log.KeyedRecords.Read;
import dev.skein.storage.state.StateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class LogManagerCompactionTest {

  private static final String TOPIC_ID = "aaaaaaaaaaaaaaaaaaaaaa";

  @TempDir
  Path dataDir;

  private StateStore stateStore;
  private LogManager manager;

  @BeforeEach
  void open() {
    stateStore = StateStore.open(dataDir.resolve(StateStore.DIRECTORY_NAME));
  }

  @AfterEach
  void close() {
    if (manager != null) {
      manager.close();
    }
    stateStore.close();
  }

  private static LogManagerConfig config(LogCleanerConfig cleaner) {
    return new LogManagerConfig(Duration.ofHours(1), Duration.ofHours(1)).withCleaner(cleaner);
  }

  private static Map<String, String> lastValues(List<Read> records) {
    Map<String, String> values = new HashMap<>();
    for (Read r : records) {
      if (r.value() == null) {
        values.remove(r.key());
      } else {
        values.put(r.key(), r.value());
      }
    }
    return values;
  }

  private static void write(PartitionLog log, int count) {
    for (int i = 0; i < count; i++) {
      log.appendAsLeader(KeyedRecords.batch(List.of(new Keyed("k" + (i % 10), "v" + i)), System.currentTimeMillis(), 1), 0);
    }
    log.updateHighWatermark(log.logEndOffset());
  }

  @Test
  void cleanerThreadsCompactLogsWithCleanupPolicyCompactOnly() {
    manager = LogManager.open(dataDir, stateStore,
        config(LogCleanerConfig.DEFAULT.withThreads(2).withDedupeBufferSize(1 << 20).withBackoff(Duration.ofMillis(50))),
        Clock.systemUTC());
    LogConfig compact = TestBatches.config("cleanup.policy", "compact", "segment.bytes", "2000");
    LogConfig delete = TestBatches.config("cleanup.policy", "delete", "segment.bytes", "2000");
    PartitionLog compacted = manager.getOrCreateLog("compacted", 0, TOPIC_ID, compact);
    PartitionLog kept = manager.getOrCreateLog("kept", 0, TOPIC_ID, delete);
    write(compacted, 300);
    write(kept, 300);
    Map<String, String> expected = lastValues(KeyedRecords.readAll(compacted));
    await().atMost(Duration.ofSeconds(30)).until(() -> KeyedRecords.readAll(compacted).size() < 100);
    assertThat(lastValues(KeyedRecords.readAll(compacted))).isEqualTo(expected);
    assertThat(KeyedRecords.readAll(kept)).hasSize(300);
  }

  @Test
  void theCleanedUpToPointIsCheckpointedSoARestartHasNothingToClean() {
    manager = LogManager.open(dataDir, stateStore, config(LogCleanerConfig.DEFAULT.withThreads(0)), Clock.systemUTC());
    LogConfig compact = TestBatches.config("cleanup.policy", "compact", "segment.bytes", "2000",
        "min.cleanable.dirty.ratio", "0.01");
    PartitionLog log = manager.getOrCreateLog("t", 0, TOPIC_ID, compact);
    write(log, 300);
    assertThat(manager.cleanLogs()).isEqualTo(1);
    assertThat(manager.cleanLogs()).isZero();
    List<Read> cleaned = KeyedRecords.readAll(log);
    manager.close();
    manager = LogManager.open(dataDir, stateStore, config(LogCleanerConfig.DEFAULT.withThreads(0)), Clock.systemUTC());
    PartitionLog reopened = manager.getOrCreateLog("t", 0, TOPIC_ID, compact);
    assertThat(manager.cleanLogs()).isZero();
    assertThat(KeyedRecords.readAll(reopened)).isEqualTo(cleaned);
    // New writes are dirty again; a truncation below the cleaned point makes what is rewritten there dirty too.
    reopened.truncateTo(50);
    write(reopened, 300);
    assertThat(manager.cleanLogs()).isPositive();
    assertThat(KeyedRecords.readAll(reopened).stream().filter(r -> r.offset() < reopened.logEndOffset() - 200))
        .extracting(Read::key).doesNotHaveDuplicates();
  }
}
