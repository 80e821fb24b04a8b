package dev.skein.storage.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StateStoreTest {

  @TempDir
  Path dataDir;

  private Path stateDir() {
    return dataDir.resolve(StateStore.DIRECTORY_NAME);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void bytes_round_trip_and_survive_reopening() {
    try (StateStore store = StateStore.open(stateDir())) {
      store.put(StateNamespace.PARTITION_CHECKPOINTS, utf8("a"), utf8("1"));
      store.put(StateNamespace.PARTITION_CHECKPOINTS, utf8("b"), utf8("2"));
      store.delete(StateNamespace.PARTITION_CHECKPOINTS, utf8("b"));
      assertThat(store.get(StateNamespace.PARTITION_CHECKPOINTS, utf8("a"))).hasValue(utf8("1"));
      assertThat(store.get(StateNamespace.PARTITION_CHECKPOINTS, utf8("b"))).isEmpty();
    }
    try (StateStore store = StateStore.open(stateDir())) {
      assertThat(store.get(StateNamespace.PARTITION_CHECKPOINTS, utf8("a"))).hasValue(utf8("1"));
      assertThat(store.get(StateNamespace.PARTITION_CHECKPOINTS, utf8("b"))).isEmpty();
    }
  }

  @Test
  void scans_by_key_prefix_in_key_order() {
    try (StateStore store = StateStore.open(stateDir())) {
      store.write(batch -> {
        batch.put(StateNamespace.PARTITION_CHECKPOINTS, utf8("t1-1"), utf8("x"));
        batch.put(StateNamespace.PARTITION_CHECKPOINTS, utf8("t1-0"), utf8("y"));
        batch.put(StateNamespace.PARTITION_CHECKPOINTS, utf8("t2-0"), utf8("z"));
      }, true);
      List<String> keys = new ArrayList<>();
      store.forEach(StateNamespace.PARTITION_CHECKPOINTS, utf8("t1-"),
          (key, value) -> keys.add(new String(key, StandardCharsets.UTF_8)));
      assertThat(keys).containsExactly("t1-0", "t1-1");
    }
  }

  @Test
  void a_failed_batch_writes_nothing() {
    try (StateStore store = StateStore.open(stateDir())) {
      assertThatThrownBy(() -> store.write(batch -> {
        batch.put(StateNamespace.PARTITION_CHECKPOINTS, utf8("k"), utf8("v"));
        throw new IllegalStateException("caller failed half way");
      }, false)).isInstanceOf(IllegalStateException.class);
      assertThat(store.get(StateNamespace.PARTITION_CHECKPOINTS, utf8("k"))).isEmpty();
    }
  }

  @Test
  void partition_checkpoints_round_trip_and_survive_reopening() {
    PartitionCheckpoint first = new PartitionCheckpoint(100, 10, 90);
    PartitionCheckpoint second = new PartitionCheckpoint(Long.MAX_VALUE - 1, 0, 5);
    try (StateStore store = StateStore.open(stateDir())) {
      PartitionCheckpointStore checkpoints = new PartitionCheckpointStore(store);
      checkpoints.write("topicA-0", first);
      Map<String, PartitionCheckpoint> batch = new LinkedHashMap<>();
      batch.put("topicA-1", second);
      batch.put("topicB-0", PartitionCheckpoint.NONE);
      checkpoints.writeAll(batch, true);
      checkpoints.delete("topicB-0");
    }
    try (StateStore store = StateStore.open(stateDir())) {
      PartitionCheckpointStore checkpoints = new PartitionCheckpointStore(store);
      assertThat(checkpoints.read("topicA-0")).hasValue(first);
      assertThat(checkpoints.read("topicA-1")).hasValue(second);
      assertThat(checkpoints.read("topicB-0")).isEmpty();
      assertThat(checkpoints.readAll()).containsOnly(Map.entry("topicA-0", first), Map.entry("topicA-1", second));
    }
  }

  @Test
  void an_unreadable_checkpoint_is_reported_not_misread() {
    try (StateStore store = StateStore.open(stateDir())) {
      store.put(StateNamespace.PARTITION_CHECKPOINTS, utf8("bad-0"), new byte[] {7, 1, 2});
      assertThatThrownBy(() -> new PartitionCheckpointStore(store).read("bad-0"))
          .isInstanceOf(StateStoreException.class).hasMessageContaining("Unreadable");
    }
    assertThat(PartitionCheckpointStore.decode(PartitionCheckpointStore.encode(new PartitionCheckpoint(1, 2, 3))))
        .isEqualTo(new PartitionCheckpoint(1, 2, 3));
  }

  @Test
  void opens_a_store_that_has_column_families_this_version_does_not_know() throws Exception {
    RocksDB.loadLibrary();
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)) {
      List<ColumnFamilyDescriptor> families = List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY),
          new ColumnFamilyDescriptor(utf8("from-the-future")));
      try (RocksDB db = RocksDB.open(options, stateDir().toString(), families, handles)) {
        db.put(handles.get(1), utf8("k"), utf8("v"));
        handles.forEach(ColumnFamilyHandle::close);
      }
    }
    try (StateStore store = StateStore.open(stateDir())) {
      store.put(StateNamespace.PARTITION_CHECKPOINTS, utf8("k"), utf8("v"));
      assertThat(store.get(StateNamespace.PARTITION_CHECKPOINTS, utf8("k"))).hasValue(utf8("v"));
    }
  }

  @Test
  void close_is_idempotent_and_later_calls_fail_cleanly() {
    StateStore store = StateStore.open(stateDir());
    store.close();
    store.close();
    assertThatThrownBy(() -> store.get(StateNamespace.PARTITION_CHECKPOINTS, utf8("a")))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.put(StateNamespace.PARTITION_CHECKPOINTS, utf8("a"), utf8("b")))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.forEach(StateNamespace.PARTITION_CHECKPOINTS, new byte[0], (k, v) -> { }))
        .isInstanceOf(IllegalStateException.class);
  }
}
