package dev.skein.broker.group;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One group on its coordinator: its state as last confirmed written, its committed offsets,
 * and its members' session deadlines (kept only in memory). Operations on the group run one
 * at a time, each after the previous one's write has been confirmed or has failed, so every
 * operation starts from confirmed state and state is replaced only once its record is replicated.
 */
final class GroupRuntime {

  final String groupId;
  /** Null while the group has no group record (only offsets, or nothing yet). Changed only inside {@link #run}. */
  volatile GroupState state;
  /** Committed offsets; replaced as a whole inside {@link #run}. */
  volatile Map<TopicPartition, GroupRecords.Committed> offsets = Map.of();
  /** Member id to the time (ms) its session ends. */
  final Map<String, Long> deadlines = new ConcurrentHashMap<>();
  private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);

  GroupRuntime(String groupId) {
    this.groupId = groupId;
  }

  /** Runs {@code operation} after every earlier one has finished. */
  synchronized <T> CompletableFuture<T> run(Supplier<CompletableFuture<T>> operation) {
    CompletableFuture<T> result = tail.handle((ignored, failure) -> null).thenCompose(ignored -> {
      try {
        return operation.get();
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    });
    tail = result;
    return result;
  }

  boolean exists() {
    return state != null || !offsets.isEmpty();
  }

  void putOffsets(Map<TopicPartition, GroupRecords.Committed> changes) {
    Map<TopicPartition, GroupRecords.Committed> next = new TreeMap<>(offsets);
    changes.forEach((tp, c) -> {
      if (c == null) {
        next.remove(tp);
      } else {
        next.put(tp, c);
      }
    });
    offsets = java.util.Collections.unmodifiableMap(next);
  }
}
