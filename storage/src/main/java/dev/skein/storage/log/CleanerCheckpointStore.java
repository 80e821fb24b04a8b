package dev.skein.storage.log;

import dev.skein.storage.state.StateNamespace;
import dev.skein.storage.state.StateStore;
import dev.skein.storage.state.StateStoreException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Each compacted partition's cleaned-up-to offset: below it the log holds at most one record per key (and
 * tombstones younger than delete.retention.ms). Written after each cleaning pass; losing the latest write
 * only makes the next pass clean part of the log again.
 */
final class CleanerCheckpointStore {

  private final StateStore store;

  CleanerCheckpointStore(StateStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /** The cleaned-up-to offset, 0 if the partition was never cleaned. */
  long read(String partitionKey) {
    return store.get(StateNamespace.CLEANER_CHECKPOINTS, key(partitionKey)).map(value -> {
      if (value.length != Long.BYTES) {
        throw new StateStoreException("Unreadable cleaner checkpoint of " + partitionKey + ": " + value.length + " bytes");
      }
      return ByteBuffer.wrap(value).getLong();
    }).orElse(0L);
  }

  void write(String partitionKey, long cleanedUpTo) {
    store.put(StateNamespace.CLEANER_CHECKPOINTS, key(partitionKey),
        ByteBuffer.allocate(Long.BYTES).putLong(cleanedUpTo).array());
  }

  void delete(String partitionKey) {
    store.delete(StateNamespace.CLEANER_CHECKPOINTS, key(partitionKey));
  }

  private static byte[] key(String partitionKey) {
    return partitionKey.getBytes(StandardCharsets.UTF_8);
  }
}
