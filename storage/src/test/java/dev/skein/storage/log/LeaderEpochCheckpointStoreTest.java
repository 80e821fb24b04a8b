package dev.skein.storage.log;

import dev.skein.storage.state.StateNamespace;
import dev.skein.storage.state.StateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class LeaderEpochCheckpointStoreTest {

  @TempDir
  Path tempDir;

  private StateStore stateStore;
  private LeaderEpochCheckpointStore store;

  @BeforeEach
  void open() {
    stateStore = StateStore.open(tempDir.resolve("state"));
    store = new LeaderEpochCheckpointStore(stateStore);
  }

  @AfterEach
  void close() {
    stateStore.close();
  }

  private void putRaw(String key, byte[] value) {
    stateStore.put(StateNamespace.LEADER_EPOCHS, key.getBytes(StandardCharsets.UTF_8), value);
  }

  @Test
  void entries_survive_a_reopening_of_the_state_store_per_partition_key() {
    List<EpochEntry> entries = List.of(new EpochEntry(0, 0), new EpochEntry(3, 42),
        new EpochEntry(Integer.MAX_VALUE, Long.MAX_VALUE));
    store.forPartition("t-0").write(entries);
    store.forPartition("t-1").write(List.of());

    stateStore.close();
    open();

    assertThat(store.forPartition("t-0").read()).contains(entries);
    assertThat(store.forPartition("t-1").read()).contains(List.of());
    assertThat(store.forPartition("t-2").read()).isEmpty();
    store.delete("t-0");
    assertThat(store.read("t-0")).isEmpty();
  }

  @Test
  void deleting_a_partition_syncs_only_when_it_had_entries_and_the_deletion_survives_a_reopening() {
    store.forPartition("old-topic-id-0").write(List.of(new EpochEntry(2, 10)));
    long syncs = stateStore.walSyncs();

    for (int p = 0; p < 100; p++) {
      store.delete("new-topic-id-" + p); // a new topic's logs have nothing to delete
    }
    assertThat(stateStore.walSyncs()).isEqualTo(syncs);

    store.delete("old-topic-id-0");
    assertThat(stateStore.walSyncs()).isEqualTo(syncs + 1);
    stateStore.close();
    open();
    assertThat(store.read("old-topic-id-0")).isEmpty();
  }

  @Test
  void writes_in_nested_deferred_sync_scopes_are_readable_at_once_and_survive_a_reopening() throws Exception {
    AutoCloseable outer = store.deferSyncs();
    AutoCloseable inner = store.deferSyncs();
    assertThat(store.deferringSyncs()).isTrue();
    for (int p = 0; p < 100; p++) {
      store.forPartition("t-" + p).write(List.of(new EpochEntry(p, p * 10L)));
    }
    assertThat(store.forPartition("t-7").read()).contains(List.of(new EpochEntry(7, 70)));

    inner.close();
    inner.close(); // a second close of the same scope does not end the outer one
    assertThat(store.deferringSyncs()).isTrue();
    outer.close();
    assertThat(store.deferringSyncs()).isFalse();

    stateStore.close();
    open();
    for (int p = 0; p < 100; p++) {
      assertThat(store.forPartition("t-" + p).read()).contains(List.of(new EpochEntry(p, p * 10L)));
    }
  }

  @Test
  void only_the_thread_that_opened_a_deferred_scope_and_its_helpers_skip_their_syncs() throws Exception {
    try (LeaderEpochCheckpointStore.DeferScope scope = store.deferSyncs()) {
      assertThat(store.deferringSyncs()).isTrue();
      // Any other thread syncs its writes itself: this scope's closing sync may come before them.
      assertThat(CompletableFuture.supplyAsync(store::deferringSyncs).get(10, TimeUnit.SECONDS)).isFalse();
      // A thread working for this one defers too, until its own scope closes (which ends none here).
      List<Boolean> helper = CompletableFuture.supplyAsync(() -> {
        boolean during;
        try (LeaderEpochCheckpointStore.DeferScope covered = store.deferSyncsToCaller()) {
          store.forPartition("t-9").write(List.of(new EpochEntry(9, 90)));
          during = store.deferringSyncs();
        }
        return List.of(during, store.deferringSyncs());
      }).get(10, TimeUnit.SECONDS);
      assertThat(helper).containsExactly(true, false);
      assertThat(store.deferringSyncs()).isTrue();
    }
    assertThat(store.deferringSyncs()).isFalse();
    assertThat(store.forPartition("t-9").read()).contains(List.of(new EpochEntry(9, 90)));
  }

  @Test
  void the_encoding_is_a_version_a_count_and_big_endian_pairs() {
    assertThat(LeaderEpochCheckpointStore.encode(List.of(new EpochEntry(2, 258))))
        .containsExactly(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 2);
  }

  @Test
  void unreadable_values_read_as_missing_so_the_log_rebuilds_them() {
    byte[] good = LeaderEpochCheckpointStore.encode(List.of(new EpochEntry(2, 5), new EpochEntry(3, 9)));
    putRaw("version", withByte(good, 0, (byte) 1));
    putRaw("short", Arrays.copyOf(good, good.length - 1));
    putRaw("long", Arrays.copyOf(good, good.length + 1));
    putRaw("count", withByte(good, 4, (byte) 3));
    putRaw("negative", withByte(good, 5, (byte) 0xFF));
    putRaw("empty", new byte[0]);

    for (String key : List.of("version", "short", "long", "count", "negative", "empty")) {
      assertThat(store.read(key)).as(key).isEmpty();
    }
  }

  private static byte[] withByte(byte[] value, int index, byte b) {
    byte[] copy = value.clone();
    copy[index] = b;
    return copy;
  }
}
