package dev.skein.storage.state;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Typed access to the {@link PartitionCheckpoint}s in a {@link StateStore}, keyed by an opaque partition
 * key (the broker uses {@code topicId + "-" + partition}).
 *
 * <p>Value encoding: one version byte (0), then recovery point, log start offset and high watermark as
 * big-endian longs.
 */
public final class PartitionCheckpointStore {

  private static final byte VERSION = 0;
  private static final int ENCODED_SIZE = 1 + 3 * Long.BYTES;
  private static final byte[] ALL_KEYS = new byte[0];

  private final StateStore store;

  public PartitionCheckpointStore(StateStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  public Optional<PartitionCheckpoint> read(String partitionKey) {
    return store.get(StateNamespace.PARTITION_CHECKPOINTS, key(partitionKey)).map(PartitionCheckpointStore::decode);
  }

  /** Every checkpoint, by partition key. */
  public Map<String, PartitionCheckpoint> readAll() {
    Map<String, PartitionCheckpoint> all = new LinkedHashMap<>();
    store.forEach(StateNamespace.PARTITION_CHECKPOINTS, ALL_KEYS,
        (key, value) -> all.put(new String(key, StandardCharsets.UTF_8), decode(value)));
    return all;
  }

  public void write(String partitionKey, PartitionCheckpoint checkpoint) {
    store.put(StateNamespace.PARTITION_CHECKPOINTS, key(partitionKey), encode(checkpoint));
  }

  /** Writes all checkpoints atomically; with {@code sync}, durably before returning. */
  public void writeAll(Map<String, PartitionCheckpoint> checkpoints, boolean sync) {
    store.write(batch -> checkpoints.forEach((partitionKey, checkpoint) ->
        batch.put(StateNamespace.PARTITION_CHECKPOINTS, key(partitionKey), encode(checkpoint))), sync);
  }

  public void delete(String partitionKey) {
    store.delete(StateNamespace.PARTITION_CHECKPOINTS, key(partitionKey));
  }

  private static byte[] key(String partitionKey) {
    if (partitionKey == null || partitionKey.isEmpty()) {
      throw new IllegalArgumentException("A partition key must not be empty");
    }
    return partitionKey.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] encode(PartitionCheckpoint checkpoint) {
    return ByteBuffer.allocate(ENCODED_SIZE)
        .put(VERSION)
        .putLong(checkpoint.recoveryPoint())
        .putLong(checkpoint.logStartOffset())
        .putLong(checkpoint.highWatermark())
        .array();
  }

  static PartitionCheckpoint decode(byte[] value) {
    if (value.length != ENCODED_SIZE || value[0] != VERSION) {
      throw new StateStoreException("Unreadable partition checkpoint: " + value.length + " bytes, version "
          + (value.length > 0 ? value[0] : "none"));
    }
    ByteBuffer buffer = ByteBuffer.wrap(value, 1, ENCODED_SIZE - 1);
    return new PartitionCheckpoint(buffer.getLong(), buffer.getLong(), buffer.getLong());
  }
}
