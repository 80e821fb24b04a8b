package dev.skein.storage.log;

import dev.skein.storage.state.PartitionCheckpoint;
import dev.skein.storage.state.PartitionCheckpointStore;
import dev.skein.storage.state.StateNamespace;
import dev.skein.storage.state.StateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static dev.skein.storage.log.TestBatches.START_TIME;
import static dev.skein.storage.log.TestBatches.batch;
import static dev.skein.storage.log.TestBatches.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class LogManagerTest {

  private static final LogManagerConfig FAST = new LogManagerConfig(Duration.ofMillis(20), Duration.ofMillis(50));
  private static final LogManagerConfig SLOW = new LogManagerConfig(Duration.ofHours(1), Duration.ofHours(1));

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

  private void restart(LogManagerConfig config) {
    manager.close();
    manager = LogManager.open(dataDir, stateStore, config, clock);
  }

  private PartitionCheckpointStore checkpoints() {
    return new PartitionCheckpointStore(stateStore);
  }

  private Optional<List<EpochEntry>> storedEpochs(String partitionKey) {
    return new LeaderEpochCheckpointStore(stateStore).read(partitionKey);
  }

  private List<Long> storedSnapshotOffsets(String partitionKey) {
    return new ProducerStateCheckpointStore(stateStore).forPartition(partitionKey).offsets();
  }

  private static BatchAppend idempotent(long producerId, int sequence, long maxTimestamp) {
    return TestBatches.idempotent(producerId, 0, sequence, 2, 20, maxTimestamp, sequence);
  }

  private boolean epochsStored(String partitionKey) {
    return stateStore.get(StateNamespace.LEADER_EPOCHS, partitionKey.getBytes(StandardCharsets.UTF_8)).isPresent();
  }

  private List<Path> doomedDirectories() throws IOException {
    try (Stream<Path> entries = Files.list(dataDir)) {
      return entries.filter(p -> p.getFileName().toString().endsWith("-delete")).toList();
    }
  }

  @Test
  void creates_a_partition_directory_with_the_topic_id_and_reopens_it_after_a_clean_shutdown() throws IOException {
    PartitionLog log = manager.getOrCreateLog("orders", 3, "id-1", LogConfig.DEFAULT);
    assertThat(manager.getOrCreateLog("orders", 3, "id-1", LogConfig.DEFAULT)).isSameAs(log);
    assertThat(manager.log("orders", 3)).containsSame(log);
    assertThat(manager.log("orders", 4)).isEmpty();
    assertThat(log.dir()).isEqualTo(dataDir.resolve("orders-3"));
    assertThat(Files.readString(dataDir.resolve("orders-3/partition.metadata"))).isEqualTo("version: 0\ntopic_id: id-1\n");
    log.appendAsLeader(batch(10, 100, START_TIME), 1);
    log.updateHighWatermark(10);

    restart(SLOW);

    assertThat(checkpoints().read(LogManager.partitionKey("id-1", 3))).hasValue(new PartitionCheckpoint(10, 0, 10));
    PartitionLog reopened = manager.getOrCreateLog("orders", 3, "id-1", LogConfig.DEFAULT);
    assertThat(reopened.recoveryReport().recoveryRan()).isFalse();
    assertThat(reopened.logEndOffset()).isEqualTo(10);
    assertThat(reopened.highWatermark()).isEqualTo(10);
    assertThat(reopened.recoveryPoint()).isEqualTo(10);
  }

  @Test
  void many_logs_open_and_close_in_parallel_and_reopen_with_their_data() {
    List<LogManager.LogSpec> specs = new java.util.ArrayList<>();
    for (int p = 0; p < 40; p++) {
      specs.add(new LogManager.LogSpec("many", p, "id-many", LogConfig.DEFAULT));
    }
    // An open log of the same topic is kept (same instance); the others are created.
    PartitionLog first = manager.getOrCreateLog("many", 0, "id-many", LogConfig.DEFAULT);

    manager.getOrCreateLogs(specs, 8);

    assertThat(manager.log("many", 0)).containsSame(first);
    for (int p = 0; p < 40; p++) {
      PartitionLog log = manager.log("many", p).orElseThrow();
      assertThat(log.dir()).isEqualTo(dataDir.resolve("many-" + p));
      log.appendAsLeader(batch(p + 1, 10, START_TIME), 1);
      log.updateHighWatermark(p + 1);
    }

    restart(SLOW); // closes the 40 logs several at a time

    for (int p = 0; p < 40; p++) {
      assertThat(checkpoints().read(LogManager.partitionKey("id-many", p)))
          .hasValue(new PartitionCheckpoint(p + 1, 0, p + 1));
    }
    manager.getOrCreateLogs(specs, 8);
    for (int p = 0; p < 40; p++) {
      PartitionLog log = manager.log("many", p).orElseThrow();
      assertThat(log.recoveryReport().recoveryRan()).isFalse();
      assertThat(log.logEndOffset()).isEqualTo(p + 1);
      assertThat(log.highWatermark()).isEqualTo(p + 1);
    }
  }

  @Test
  void a_failed_open_among_many_is_reported_after_the_others_opened() {
    List<LogManager.LogSpec> specs = List.of(new LogManager.LogSpec("good", 0, "id-good", LogConfig.DEFAULT),
        new LogManager.LogSpec("not/a/topic", 1, "id-bad", LogConfig.DEFAULT),
        new LogManager.LogSpec("good", 2, "id-good", LogConfig.DEFAULT));

    assertThatThrownBy(() -> manager.getOrCreateLogs(specs, 4)).isInstanceOf(IllegalArgumentException.class);

    assertThat(manager.log("good", 0)).isPresent();
    assertThat(manager.log("good", 2)).isPresent();
  }

  @Test
  void a_directory_of_another_topic_id_is_deleted_and_the_log_starts_empty() throws IOException {
    manager.getOrCreateLog("orders", 0, "old-id", LogConfig.DEFAULT).appendAsLeader(batch(5, 10, START_TIME), 1);
    restart(SLOW);
    assertThat(checkpoints().read("old-id-0")).isPresent();

    PartitionLog log = manager.getOrCreateLog("orders", 0, "new-id", LogConfig.DEFAULT);

    assertThat(log.logEndOffset()).isZero();
    assertThat(Files.readString(dataDir.resolve("orders-0/partition.metadata"))).contains("topic_id: new-id");
    assertThat(checkpoints().read("old-id-0")).isEmpty();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(doomedDirectories()).isEmpty());
  }

  /**
   * A new partition directory's metadata file is fsynced, but the directory entries only with the
   * first segment's (and the data directory once per batch): a crash in between can leave the
   * directory with an empty metadata file, or none. Such a directory held no acknowledged record,
   * so it is deleted and the log created again.
   */
  @ParameterizedTest
  @ValueSource(strings = {"empty", "missing"})
  void a_directory_left_by_a_crash_during_creation_is_created_again(String metadata) throws IOException {
    manager.getOrCreateLogs(List.of(new LogManager.LogSpec("orders", 0, "id-1", LogConfig.DEFAULT),
        new LogManager.LogSpec("orders", 1, "id-1", LogConfig.DEFAULT)), 2);
    close();
    Path file = dataDir.resolve("orders-0/partition.metadata");
    if (metadata.equals("empty")) {
      Files.write(file, new byte[0]);
    } else {
      Files.delete(file);
    }
    open();

    PartitionLog log = manager.getOrCreateLog("orders", 0, "id-1", LogConfig.DEFAULT);

    assertThat(log.logEndOffset()).isZero();
    assertThat(Files.readString(file)).isEqualTo("version: 0\ntopic_id: id-1\n");
    assertThat(manager.getOrCreateLog("orders", 1, "id-1", LogConfig.DEFAULT).dir())
        .isEqualTo(dataDir.resolve("orders-1"));
    try (var files = Files.list(dataDir.resolve("orders-0"))) {
      assertThat(files.map(f -> f.getFileName().toString())).doesNotContain("partition.metadata.tmp");
    }
  }

  @Test
  void an_open_log_of_another_topic_id_is_replaced() {
    PartitionLog old = manager.getOrCreateLog("orders", 0, "old-id", LogConfig.DEFAULT);
    old.appendAsLeader(batch(5, 10, START_TIME), 1);
    PartitionLog fresh = manager.getOrCreateLog("orders", 0, "new-id", LogConfig.DEFAULT);
    assertThat(old.isClosed()).isTrue();
    assertThat(fresh.logEndOffset()).isZero();
    assertThat(manager.log("orders", 0)).containsSame(fresh);
  }

  @Test
  void delete_frees_the_name_at_once_and_removes_the_files_in_the_background() throws IOException {
    manager.close();
    manager = LogManager.open(dataDir, stateStore, FAST, clock);
    PartitionLog log = manager.getOrCreateLog("orders", 1, "id-1", LogConfig.DEFAULT);
    log.appendAsLeader(batch(5, 10, START_TIME), 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> checkpoints().read("id-1-1").isPresent());

    assertThat(manager.deleteLog("orders", 1)).isTrue();

    assertThat(dataDir.resolve("orders-1")).doesNotExist();
    assertThat(log.isClosed()).isTrue();
    assertThat(manager.log("orders", 1)).isEmpty();
    assertThat(checkpoints().read("id-1-1")).isEmpty();
    PartitionLog recreated = manager.getOrCreateLog("orders", 1, "id-2", LogConfig.DEFAULT);
    assertThat(recreated.logEndOffset()).isZero();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(doomedDirectories()).isEmpty());
    assertThat(manager.deleteLog("orders", 9)).isFalse();
  }

  @Test
  void the_leader_epoch_cache_is_kept_in_the_state_store_and_reopened_without_a_scan() {
    PartitionLog log = manager.getOrCreateLog("orders", 2, "id-1", config("segment.bytes", "500"));
    for (int epoch = 1; epoch <= 3; epoch += 2) {
      for (int i = 0; i < 4; i++) {
        log.appendAsLeader(batch(2, 100, START_TIME + i), epoch);
      }
    }
    log.assignEpoch(5, 16);
    List<EpochEntry> expected = List.of(new EpochEntry(1, 0), new EpochEntry(3, 8));
    assertThat(storedEpochs("id-1-2")).contains(List.of(new EpochEntry(1, 0), new EpochEntry(3, 8),
        new EpochEntry(5, 16)));

    restart(SLOW);

    PartitionLog reopened = manager.getOrCreateLog("orders", 2, "id-1", config("segment.bytes", "500"));
    assertThat(reopened.epochEntries()).isEqualTo(expected); // epoch 5 wrote nothing before the restart
    assertThat(reopened.epochLoadReport().scanned()).isFalse();
    assertThat(storedEpochs("id-1-2")).contains(expected);
  }

  @Test
  void a_log_without_a_stored_leader_epoch_cache_rebuilds_and_stores_it() {
    manager.getOrCreateLog("orders", 0, "id-1", LogConfig.DEFAULT).appendAsLeader(batch(3, 10, START_TIME), 4);
    restart(SLOW);
    stateStore.delete(StateNamespace.LEADER_EPOCHS, "id-1-0".getBytes(StandardCharsets.UTF_8));

    PartitionLog log = manager.getOrCreateLog("orders", 0, "id-1", LogConfig.DEFAULT);

    assertThat(log.epochEntries()).containsExactly(new EpochEntry(4, 0));
    assertThat(log.epochLoadReport().storedFound()).isFalse();
    assertThat(storedEpochs("id-1-0")).contains(List.of(new EpochEntry(4, 0)));
  }

  @Test
  void delete_removes_the_stored_leader_epoch_cache_of_open_and_closed_logs() {
    manager.getOrCreateLog("orders", 0, "id-1", LogConfig.DEFAULT).appendAsLeader(batch(3, 10, START_TIME), 2);
    manager.getOrCreateLog("orders", 1, "id-1", LogConfig.DEFAULT).appendAsLeader(batch(3, 10, START_TIME), 2);
    restart(SLOW);
    manager.getOrCreateLog("orders", 1, "id-1", LogConfig.DEFAULT);
    assertThat(epochsStored("id-1-0")).isTrue();
    assertThat(epochsStored("id-1-1")).isTrue();

    assertThat(manager.deleteLog("orders", 0)).isTrue(); // not open
    assertThat(manager.deleteLog("orders", 1)).isTrue(); // open

    assertThat(epochsStored("id-1-0")).isFalse();
    assertThat(epochsStored("id-1-1")).isFalse();
  }

  @Test
  void a_new_log_does_not_take_over_a_stale_leader_epoch_cache_under_its_key() {
    new LeaderEpochCheckpointStore(stateStore).forPartition("id-9-0").write(List.of(new EpochEntry(7, 0)));

    PartitionLog log = manager.getOrCreateLog("orders", 0, "id-9", LogConfig.DEFAULT);

    assertThat(log.epochEntries()).isEmpty();
    assertThat(storedEpochs("id-9-0")).contains(List.of());
    log.appendAsLeader(batch(1, 10, START_TIME), 0);
    assertThat(log.epochEntries()).containsExactly(new EpochEntry(0, 0));
  }

  @Test
  void producer_state_is_snapshotted_at_checkpoints_and_close_and_restored_without_replay() {
    PartitionLog log = manager.getOrCreateLog("orders", 0, "id-1", config("segment.bytes", "500"));
    for (int i = 0; i < 6; i++) {
      log.appendAsLeader(idempotent(i % 2, 2 * (i / 2), START_TIME + i), 1);
    }
    manager.checkpointAll(false);
    assertThat(storedSnapshotOffsets("id-1-0")).containsExactly(12L);
    log.appendAsLeader(idempotent(0, 6, START_TIME), 1);
    List<ProducerStateEntry> before = log.producerStates();

    restart(SLOW);

    assertThat(storedSnapshotOffsets("id-1-0")).containsExactly(12L, 14L);
    PartitionLog reopened = manager.getOrCreateLog("orders", 0, "id-1", config("segment.bytes", "500"));
    assertThat(reopened.producerLoadReport().snapshotOffset()).isEqualTo(14);
    assertThat(reopened.producerLoadReport().batchesReplayed()).isZero();
    assertThat(reopened.producerStates()).isEqualTo(before).hasSize(2);
    assertThat(reopened.appendAsLeader(idempotent(0, 6, START_TIME), 1).duplicate()).isTrue();

    assertThat(manager.deleteLog("orders", 0)).isTrue();
    assertThat(storedSnapshotOffsets("id-1-0")).isEmpty();
  }

  @Test
  void the_background_task_snapshots_producer_state_and_expires_idle_producers() {
    restart(new LogManagerConfig(Duration.ofHours(1), Duration.ofMillis(50), Duration.ofHours(1),
        Duration.ofMillis(20)));
    PartitionLog log = manager.getOrCreateLog("orders", 0, "id-1", LogConfig.DEFAULT);
    log.appendAsLeader(idempotent(5, 0, START_TIME), 1);

    await().atMost(Duration.ofSeconds(10)).until(() -> storedSnapshotOffsets("id-1-0").equals(List.of(2L)));
    assertThat(log.producerState(5)).isPresent();

    clock.advance(Duration.ofHours(1));
    await().atMost(Duration.ofSeconds(10)).until(() -> log.producerState(5).isEmpty());
  }

  @Test
  void expiry_uses_the_configured_producer_id_expiration() {
    assertThat(LogManagerConfig.DEFAULT.producerIdExpiration()).isEqualTo(Duration.ofDays(1));
    restart(new LogManagerConfig(Duration.ofHours(1), Duration.ofHours(1), Duration.ofMinutes(10),
        Duration.ofHours(1)));
    PartitionLog first = manager.getOrCreateLog("orders", 0, "id-1", LogConfig.DEFAULT);
    PartitionLog second = manager.getOrCreateLog("orders", 1, "id-1", LogConfig.DEFAULT);
    first.appendAsLeader(idempotent(1, 0, START_TIME), 1);
    second.appendAsLeader(idempotent(1, 0, START_TIME), 1);
    second.appendAsLeader(idempotent(2, 0, START_TIME + 60_000), 1);

    clock.advance(Duration.ofMinutes(10).minusMillis(1));
    assertThat(manager.expireProducers()).isZero();
    clock.advance(Duration.ofMillis(1));
    assertThat(manager.expireProducers()).isEqualTo(2);
    assertThat(second.producerStates()).extracting(ProducerStateEntry::producerId).containsExactly(2L);
  }

  @Test
  void a_new_log_does_not_take_over_stale_producer_snapshots_under_its_key() {
    new ProducerStateCheckpointStore(stateStore).forPartition("id-9-0").write(new ProducerStateSnapshot(0,
        List.of(ProducerStateEntry.first(3, 0, new ProducerBatchMetadata(0, 0, 0, 0, START_TIME)))), List.of());

    PartitionLog log = manager.getOrCreateLog("orders", 0, "id-9", LogConfig.DEFAULT);

    assertThat(log.producerStates()).isEmpty();
    assertThat(log.producerLoadReport().snapshotLoaded()).isFalse();
    assertThatThrownBy(() -> log.appendAsLeader(idempotent(3, 2, START_TIME), 0))
        .isInstanceOf(UnknownProducerIdException.class);
  }

  @Test
  void lists_partition_directories_including_ones_not_open() throws IOException {
    manager.getOrCreateLog("orders", 0, "id-1", LogConfig.DEFAULT);
    manager.getOrCreateLog("my.topic-with-dashes", 12, "id-2", LogConfig.DEFAULT);
    Path stray = Files.createDirectories(dataDir.resolve("gone-7"));
    Files.createDirectories(dataDir.resolve("orders-5.0123abcd-delete"));

    assertThat(manager.listLogDirectories()).containsExactly(
        new LogDirectory("gone", 7, Optional.empty(), stray),
        new LogDirectory("my.topic-with-dashes", 12, Optional.of("id-2"),
            dataDir.resolve("my.topic-with-dashes-12")),
        new LogDirectory("orders", 0, Optional.of("id-1"), dataDir.resolve("orders-0")));

    assertThat(manager.deleteLog("gone", 7)).isTrue();
    assertThat(manager.listLogDirectories()).extracting(LogDirectory::topic)
        .containsExactly("my.topic-with-dashes", "orders");
  }

  @Test
  void leftover_deletions_are_finished_at_start() throws IOException {
    Path leftover = Files.createDirectories(dataDir.resolve("orders-5.0123abcd-delete"));
    Files.writeString(leftover.resolve("00000000000000000000.log"), "x");
    restart(SLOW);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(leftover).doesNotExist());
  }

  @Test
  void the_background_task_checkpoints_and_flushes_by_flush_ms() {
    restart(FAST);
    PartitionLog log = manager.getOrCreateLog("orders", 0, "id-1", config("flush.ms", "1000"));
    log.appendAsLeader(batch(4, 10, START_TIME), 1);
    log.updateHighWatermark(3);

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(checkpoints().read("id-1-0"))
        .hasValue(new PartitionCheckpoint(0, 0, 3)));
    assertThat(log.recoveryPoint()).isZero(); // flush.ms has not passed yet

    clock.advance(Duration.ofMillis(1000));
    await().atMost(Duration.ofSeconds(10)).until(() -> log.recoveryPoint() == 4);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(checkpoints().read("id-1-0"))
        .hasValue(new PartitionCheckpoint(4, 0, 3)));
  }

  @Test
  void a_rolled_segment_is_flushed_in_the_background() {
    PartitionLog log = manager.getOrCreateLog("orders", 0, "id-1", config("segment.bytes", "500"));
    for (int i = 0; i < 5; i++) {
      log.appendAsLeader(batch(2, 200, START_TIME + i), 1); // 287 bytes: one per segment
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> log.recoveryPoint() == 8);
  }

  @Test
  void close_flushes_and_checkpoints_every_log_so_the_next_start_recovers_nothing() {
    for (int partition = 0; partition < 3; partition++) {
      PartitionLog log = manager.getOrCreateLog("orders", partition, "id-1", config("segment.bytes", "500"));
      for (int i = 0; i < 10; i++) {
        log.appendAsLeader(batch(2, 100, START_TIME + i), 1);
      }
    }
    restart(SLOW);
    for (int partition = 0; partition < 3; partition++) {
      PartitionLog log = manager.getOrCreateLog("orders", partition, "id-1", config("segment.bytes", "500"));
      assertThat(log.recoveryReport().recoveryRan()).isFalse();
      assertThat(log.recoveryReport().indexesRebuilt()).isZero();
      assertThat(log.logEndOffset()).isEqualTo(20);
    }
  }

  @Test
  void a_log_reopened_without_its_checkpoint_is_recovered_in_full() {
    manager.getOrCreateLog("orders", 0, "id-1", LogConfig.DEFAULT).appendAsLeader(batch(3, 10, START_TIME), 1);
    restart(SLOW);
    checkpoints().delete("id-1-0");
    PartitionLog log = manager.getOrCreateLog("orders", 0, "id-1", LogConfig.DEFAULT);
    assertThat(log.recoveryReport().recoveryRan()).isTrue();
    assertThat(log.logEndOffset()).isEqualTo(3);
  }

  @Test
  void refuses_names_that_would_leave_the_data_directory_and_a_second_manager() {
    assertThatThrownBy(() -> manager.getOrCreateLog("../escape", 0, "id", LogConfig.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Illegal topic name");
    assertThatThrownBy(() -> manager.getOrCreateLog("a/b", 0, "id", LogConfig.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> manager.getOrCreateLog("..", 0, "id", LogConfig.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> manager.getOrCreateLog("ok", -1, "id", LogConfig.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> manager.getOrCreateLog("ok", 0, "bad\nid", LogConfig.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> manager.getOrCreateLog("ok", 0, "bad\0id", LogConfig.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LogManager.open(dataDir, stateStore, SLOW, clock))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("in use");
  }
}
