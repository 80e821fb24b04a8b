package dev.skein.storage.log;

import dev.skein.storage.state.StateNamespace;
import dev.skein.storage.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The producer-state snapshots of a data directory's partitions in the {@link StateStore}
 * ({@link StateNamespace#PRODUCER_STATES}). A partition has a few, each under its own key: the partition
 * key (as for checkpoints) in UTF-8, a zero byte, and the snapshot's offset as a big-endian long, so a
 * prefix scan lists a partition's snapshots in offset order and a new snapshot never rewrites the others.
 *
 * <p>Value encoding (big-endian): a version byte (0), the offset (long), the producer count (int), then per
 * producer, least recently appended first: producer id (long), epoch (int), batch count (byte, 1 to 5) and
 * per batch, oldest first: first and last sequence (ints), first and last offset and max timestamp (longs).
 *
 * <p>Snapshots are written without a sync (the write-ahead log survives a process crash, and a lost one
 * only lengthens the replay at open); deletions are synced, because a snapshot must not outlive the
 * batches it describes.
 */
final class ProducerStateCheckpointStore {

  private static final Logger log = LoggerFactory.getLogger(ProducerStateCheckpointStore.class);
  private static final byte VERSION = 0;
  private static final int HEADER_SIZE = 1 + Long.BYTES + Integer.BYTES;
  private static final int ENTRY_HEADER_SIZE = Long.BYTES + Integer.BYTES + 1;
  private static final int BATCH_SIZE = 2 * Integer.BYTES + 3 * Long.BYTES;

  private final StateStore store;

  ProducerStateCheckpointStore(StateStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /** The snapshots of one partition. */
  ProducerStateCheckpoint forPartition(String partitionKey) {
    byte[] prefix = prefix(partitionKey);
    return new ProducerStateCheckpoint() {
      @Override
      public List<Long> offsets() {
        return ProducerStateCheckpointStore.this.offsets(prefix);
      }

      @Override
      public Optional<ProducerStateSnapshot> read(long offset) {
        return store.get(StateNamespace.PRODUCER_STATES, key(prefix, offset)).flatMap(value -> {
          try {
            return Optional.of(decode(value));
          } catch (IllegalArgumentException | BufferUnderflowException e) {
            log.warn("Unreadable producer state snapshot of {} at offset {} ({} bytes): {}", partitionKey, offset,
                value.length, e.toString());
            return Optional.empty();
          }
        });
      }

      @Override
      public void write(ProducerStateSnapshot snapshot, Collection<Long> obsolete) {
        byte[] value = encode(snapshot);
        store.write(batch -> {
          for (long offset : obsolete) {
            batch.delete(StateNamespace.PRODUCER_STATES, key(prefix, offset));
          }
          batch.put(StateNamespace.PRODUCER_STATES, key(prefix, snapshot.offset()), value);
        }, false);
      }

      @Override
      public void delete(Collection<Long> offsets) {
        store.write(batch -> {
          for (long offset : offsets) {
            batch.delete(StateNamespace.PRODUCER_STATES, key(prefix, offset));
          }
        }, true);
      }

      @Override
      public String toString() {
        return "ProducerStateCheckpoint[" + partitionKey + "]";
      }
    };
  }

  /** Deletes every snapshot of the partition, durably. */
  void deleteAll(String partitionKey) {
    byte[] prefix = prefix(partitionKey);
    List<Long> offsets = offsets(prefix);
    if (!offsets.isEmpty()) {
      store.write(batch -> offsets.forEach(offset ->
          batch.delete(StateNamespace.PRODUCER_STATES, key(prefix, offset))), true);
    }
  }

  private List<Long> offsets(byte[] prefix) {
    List<Long> offsets = new ArrayList<>();
    store.forEach(StateNamespace.PRODUCER_STATES, prefix, (key, value) -> {
      if (key.length == prefix.length + Long.BYTES) { // not a longer partition key with this one as prefix
        offsets.add(ByteBuffer.wrap(key, prefix.length, Long.BYTES).getLong());
      }
    });
    return offsets; // ascending: big-endian non-negative longs sort like the numbers
  }

  private static byte[] prefix(String partitionKey) {
    if (partitionKey == null || partitionKey.isEmpty() || partitionKey.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("A partition key must be non-empty and hold no NUL character");
    }
    byte[] name = partitionKey.getBytes(StandardCharsets.UTF_8);
    return Arrays.copyOf(name, name.length + 1); // the zero byte ends the name
  }

  private static byte[] key(byte[] prefix, long offset) {
    return ByteBuffer.allocate(prefix.length + Long.BYTES).put(prefix).putLong(offset).array();
  }

  static byte[] encode(ProducerStateSnapshot snapshot) {
    int size = HEADER_SIZE;
    for (ProducerStateEntry entry : snapshot.entries()) {
      size += ENTRY_HEADER_SIZE + entry.batches().size() * BATCH_SIZE;
    }
    ByteBuffer buffer = ByteBuffer.allocate(size)
        .put(VERSION)
        .putLong(snapshot.offset())
        .putInt(snapshot.entries().size());
    for (ProducerStateEntry entry : snapshot.entries()) {
      buffer.putLong(entry.producerId()).putInt(entry.producerEpoch()).put((byte) entry.batches().size());
      for (ProducerBatchMetadata batch : entry.batches()) {
        buffer.putInt(batch.firstSequence()).putInt(batch.lastSequence())
            .putLong(batch.firstOffset()).putLong(batch.lastOffset()).putLong(batch.maxTimestamp());
      }
    }
    return buffer.array();
  }

  static ProducerStateSnapshot decode(byte[] value) {
    ByteBuffer buffer = ByteBuffer.wrap(value);
    byte version = buffer.get();
    if (version != VERSION) {
      throw new IllegalArgumentException("unknown version " + version);
    }
    long offset = buffer.getLong();
    int count = buffer.getInt();
    if (count < 0 || (long) count * (ENTRY_HEADER_SIZE + BATCH_SIZE) > buffer.remaining()) {
      throw new IllegalArgumentException(count + " producers cannot fit in " + buffer.remaining() + " bytes");
    }
    List<ProducerStateEntry> entries = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long producerId = buffer.getLong();
      int epoch = buffer.getInt();
      int batchCount = buffer.get();
      if (batchCount < 1 || batchCount > ProducerStateEntry.MAX_BATCHES) {
        throw new IllegalArgumentException("producer " + producerId + " has " + batchCount + " batches");
      }
      List<ProducerBatchMetadata> batches = new ArrayList<>(batchCount);
      for (int j = 0; j < batchCount; j++) {
        batches.add(new ProducerBatchMetadata(buffer.getInt(), buffer.getInt(), buffer.getLong(), buffer.getLong(),
            buffer.getLong())); // rejects impossible values
      }
      entries.add(new ProducerStateEntry(producerId, epoch, batches));
    }
    if (buffer.hasRemaining()) {
      throw new IllegalArgumentException(buffer.remaining() + " bytes after the last producer");
    }
    return new ProducerStateSnapshot(offset, entries);
  }
}
