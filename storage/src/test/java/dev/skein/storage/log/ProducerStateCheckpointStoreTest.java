package dev.skein.storage.log;

import dev.skein.storage.state.StateNamespace;
import dev.skein.storage.state.StateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProducerStateCheckpointStoreTest {

  @TempDir
  Path tempDir;

  private StateStore stateStore;
  private ProducerStateCheckpointStore store;

  @BeforeEach
  void open() {
    stateStore = StateStore.open(tempDir.resolve("state"));
    store = new ProducerStateCheckpointStore(stateStore);
  }

  @AfterEach
  void close() {
    stateStore.close();
  }

  private static ProducerStateSnapshot snapshot(long offset, long... producerIds) {
    return new ProducerStateSnapshot(offset, Arrays.stream(producerIds).mapToObj(id -> new ProducerStateEntry(id,
        (int) id % 3, List.of(new ProducerBatchMetadata(0, 1, 0, 1, 100), new ProducerBatchMetadata(
            Integer.MAX_VALUE, 3, 2, 6, Long.MAX_VALUE))))
        .toList());
  }

  @Test
  void snapshots_are_kept_per_partition_in_offset_order_and_survive_a_reopening() {
    ProducerStateCheckpoint one = store.forPartition("t-1");
    ProducerStateCheckpoint ten = store.forPartition("t-10");
    one.write(snapshot(300, 1, 2), List.of());
    one.write(snapshot(7), List.of());
    one.write(snapshot(256, 4), List.of());
    ten.write(snapshot(5, 9), List.of());

    stateStore.close();
    open();
    one = store.forPartition("t-1");

    assertThat(one.offsets()).containsExactly(7L, 256L, 300L);
    assertThat(one.read(300)).contains(snapshot(300, 1, 2));
    assertThat(one.read(7)).contains(snapshot(7));
    assertThat(one.read(8)).isEmpty();
    assertThat(store.forPartition("t-10").offsets()).containsExactly(5L);
    assertThat(store.forPartition("t-").offsets()).isEmpty();

    one.write(snapshot(400, 3), List.of(7L, 256L));
    assertThat(one.offsets()).containsExactly(300L, 400L);
    one.delete(List.of(300L));
    assertThat(one.offsets()).containsExactly(400L);
    store.deleteAll("t-1");
    assertThat(one.offsets()).isEmpty();
    assertThat(store.forPartition("t-10").offsets()).containsExactly(5L);
  }

  @Test
  void an_unreadable_snapshot_reads_as_missing() {
    ProducerStateCheckpoint checkpoint = store.forPartition("t-0");
    checkpoint.write(snapshot(10, 1), List.of());
    byte[] key = ByteBuffer.allocate(4 + 8).put("t-0\0".getBytes(StandardCharsets.UTF_8)).putLong(10).array();
    byte[] value = stateStore.get(StateNamespace.PRODUCER_STATES, key).orElseThrow();

    stateStore.put(StateNamespace.PRODUCER_STATES, key, Arrays.copyOf(value, value.length - 1));
    assertThat(checkpoint.read(10)).isEmpty();
    value[0] = 1; // unknown version
    stateStore.put(StateNamespace.PRODUCER_STATES, key, value);
    assertThat(checkpoint.read(10)).isEmpty();
  }

  @Test
  void the_encoding_is_big_endian_with_a_version_the_offset_and_each_producers_batches() {
    ProducerStateSnapshot snapshot = new ProducerStateSnapshot(258, List.of(
        ProducerStateEntry.first(3, 4, new ProducerBatchMetadata(5, 6, 7, 8, 9))));
    ByteBuffer expected = ByteBuffer.allocate(1 + 8 + 4 + 8 + 4 + 1 + 4 + 4 + 8 + 8 + 8)
        .put((byte) 0).putLong(258).putInt(1).putLong(3).putInt(4).put((byte) 1)
        .putInt(5).putInt(6).putLong(7).putLong(8).putLong(9);

    assertThat(ProducerStateCheckpointStore.encode(snapshot)).isEqualTo(expected.array());
    assertThat(ProducerStateCheckpointStore.decode(expected.array())).isEqualTo(snapshot);
    byte[] trailing = Arrays.copyOf(expected.array(), expected.capacity() + 1);
    assertThatThrownBy(() -> ProducerStateCheckpointStore.decode(trailing))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void a_partition_key_must_not_hold_the_separator() {
    assertThatThrownBy(() -> store.forPartition("a\0b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.forPartition("")).isInstanceOf(IllegalArgumentException.class);
  }
}
