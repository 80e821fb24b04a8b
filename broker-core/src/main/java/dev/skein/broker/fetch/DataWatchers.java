package dev.skein.broker.fetch;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who is waiting for new committed data on which partition: long-poll fetches and
 * subscriptions register here, and the partition leader fires a partition's key when its
 * high watermark moves (or when the partition stops being led here, so waiters can fail fast).
 * A watcher fires at most once per registration and re-registers if it still wants to wait.
 */
public final class DataWatchers {

  /** Something waiting for data; called at most once per registration, on the firing thread. */
  @FunctionalInterface
  public interface Watcher {
    /** @param key the partition that fired: the watcher is no longer registered for it */
    void onData(PartitionKey key);
  }

  private final Map<PartitionKey, Set<Watcher>> watchers = new ConcurrentHashMap<>();

  /** Identifies a partition here without knowing the storage or metadata types. */
  public record PartitionKey(String topic, int partition) {}

  public void watch(List<PartitionKey> keys, Watcher watcher) {
    for (PartitionKey key : keys) {
      watchers.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(watcher);
    }
  }

  public void unwatch(List<PartitionKey> keys, Watcher watcher) {
    for (PartitionKey key : keys) {
      Set<Watcher> set = watchers.get(key);
      if (set != null) {
        set.remove(watcher);
      }
    }
  }

  /** Wakes everyone waiting on the partition. */
  public void fire(PartitionKey key) {
    Set<Watcher> set = watchers.get(key);
    if (set == null || set.isEmpty()) {
      return;
    }
    for (Watcher watcher : List.copyOf(set)) {
      if (set.remove(watcher)) {
        watcher.onData(key);
      }
    }
  }

  int watcherCount() {
    return watchers.values().stream().mapToInt(Set::size).sum();
  }
}
