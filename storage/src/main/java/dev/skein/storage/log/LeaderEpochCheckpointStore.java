package dev.skein.storage.log;

import dev.skein.storage.state.StateNamespace;
import dev.skein.storage.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The leader-epoch caches of a data directory's partitions in the {@link StateStore}
 * ({@link StateNamespace#LEADER_EPOCHS}), keyed by partition key like the checkpoints. It lives here rather
 * than in the state package because its entries are the log's {@link EpochEntry}s.
 *
 * <p>Value encoding: one version byte (0), the entry count as a big-endian int, then each entry as a
 * big-endian int epoch and long start offset. Writes are synced: they happen about once per leader
 * change, and the log relies on them being durable before it writes the batches they describe.
 */
final class LeaderEpochCheckpointStore {

  private static final Logger log = LoggerFactory.getLogger(LeaderEpochCheckpointStore.class);
  private static final byte VERSION = 0;
  private static final int HEADER_SIZE = 1 + Integer.BYTES;
  private static final int ENTRY_SIZE = Integer.BYTES + Long.BYTES;

  private final StateStore store;
  /**
   * Open {@link #deferSyncs()} scopes of the current thread. Per thread, not per store: only the writes
   * of the thread that will sync at the end of its scope may skip their own sync. A write from another
   * thread (a fetcher truncating, a log opening) that saw a store-wide count could pass its check just
   * as the scope's closing sync ran, and then never be synced at all.
   */
  private final ThreadLocal<int[]> deferring = ThreadLocal.withInitial(() -> new int[1]);

  LeaderEpochCheckpointStore(StateStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /**
   * Until the returned scope closes, this thread's writes reach RocksDB's write-ahead log without an
   * fsync each; the close of its outermost scope syncs the log once, covering all of them (and anything
   * written before). For taking up thousands of partitions at once (each new leader epoch is one write).
   * A crash inside the scope may lose some entries, which {@link LeaderEpochLoader} repairs from the batch
   * headers at the next start. Writes of other threads are synced as usual. The scope must be closed on
   * the thread that opened it.
   */
  DeferScope deferSyncs() {
    return open(true);
  }

  /**
   * A scope for a thread working for one inside {@link #deferSyncs()} (opening its logs in parallel):
   * its writes are not synced one by one either, and its close syncs nothing. The scope it works for
   * syncs them when it closes, which must come after this thread's writes (after waiting for its work).
   */
  DeferScope deferSyncsToCaller() {
    return open(false);
  }

  private DeferScope open(boolean syncAtEnd) {
    int[] depth = deferring.get();
    depth[0]++;
    java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    return () -> {
      if (closed.compareAndSet(false, true) && --depth[0] == 0 && syncAtEnd) {
        store.syncWal();
      }
    };
  }

  /** A {@link #deferSyncs()} scope; closing it twice is harmless. */
  interface DeferScope extends AutoCloseable {
    @Override
    void close();
  }

  /** Whether this thread's writes are deferred now. */
  boolean deferringSyncs() {
    return deferring.get()[0] > 0;
  }

  /** The checkpoint of one partition. */
  LeaderEpochCheckpoint forPartition(String partitionKey) {
    byte[] key = key(partitionKey);
    return new LeaderEpochCheckpoint() {
      @Override
      public Optional<List<EpochEntry>> read() {
        return LeaderEpochCheckpointStore.this.read(partitionKey);
      }

      @Override
      public void write(List<EpochEntry> entries) {
        byte[] value = encode(entries);
        store.write(batch -> batch.put(StateNamespace.LEADER_EPOCHS, key, value), !deferringSyncs());
      }

      @Override
      public String toString() {
        return "LeaderEpochCheckpoint[" + partitionKey + "]";
      }
    };
  }

  /** The stored entries, or empty if there are none or they cannot be decoded (the log then rebuilds them). */
  Optional<List<EpochEntry>> read(String partitionKey) {
    return store.get(StateNamespace.LEADER_EPOCHS, key(partitionKey)).flatMap(value -> {
      try {
        return Optional.of(decode(value));
      } catch (IllegalArgumentException | BufferUnderflowException e) {
        log.warn("Unreadable leader epoch cache for {} ({} bytes): {}", partitionKey, value.length, e.toString());
        return Optional.empty();
      }
    });
  }

  /**
   * Deletes the partition's entries, durably. A log created for a new topic has none (its key
   * holds the topic id), so it pays a read, not an fsync: thousands of partitions are created at once.
   */
  void delete(String partitionKey) {
    byte[] key = key(partitionKey);
    if (store.get(StateNamespace.LEADER_EPOCHS, key).isPresent()) {
      store.write(batch -> batch.delete(StateNamespace.LEADER_EPOCHS, key), true);
    }
  }

  private static byte[] key(String partitionKey) {
    if (partitionKey == null || partitionKey.isEmpty()) {
      throw new IllegalArgumentException("A partition key must not be empty");
    }
    return partitionKey.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] encode(List<EpochEntry> entries) {
    ByteBuffer buffer = ByteBuffer.allocate(HEADER_SIZE + entries.size() * ENTRY_SIZE)
        .put(VERSION)
        .putInt(entries.size());
    for (EpochEntry entry : entries) {
      buffer.putInt(entry.epoch()).putLong(entry.startOffset());
    }
    return buffer.array();
  }

  static List<EpochEntry> decode(byte[] value) {
    ByteBuffer buffer = ByteBuffer.wrap(value);
    byte version = buffer.get();
    if (version != VERSION) {
      throw new IllegalArgumentException("unknown version " + version);
    }
    int count = buffer.getInt();
    if (count < 0 || buffer.remaining() != (long) count * ENTRY_SIZE) {
      throw new IllegalArgumentException(count + " entries do not fill " + buffer.remaining() + " bytes");
    }
    List<EpochEntry> entries = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      entries.add(new EpochEntry(buffer.getInt(), buffer.getLong())); // rejects negative values
    }
    return entries;
  }
}
