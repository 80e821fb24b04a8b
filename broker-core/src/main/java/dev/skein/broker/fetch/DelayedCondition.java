package dev.skein.broker.fetch;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A request waiting until something about one partition holds, or a deadline passes (Kafka's
 * delayed operation): it re-checks whenever the partition's signal fires, never by polling, and
 * completes exactly once, with the check's answer or the timeout's.
 *
 * @param <T> what the request is answered with
 */
public final class DelayedCondition<T> implements DataWatchers.Watcher {

  private final List<DataWatchers.PartitionKey> keys;
  private final DataWatchers watchers;
  private final Executor executor;
  private final Supplier<Optional<T>> check;
  private final CompletableFuture<T> result = new CompletableFuture<>();
  private volatile ScheduledFuture<?> timeout;

  private DelayedCondition(DataWatchers.PartitionKey key, DataWatchers watchers, Executor executor,
      Supplier<Optional<T>> check) {
    this.keys = List.of(key);
    this.watchers = watchers;
    this.executor = executor;
    this.check = check;
  }

  /**
   * Completes with the first answer {@code check} gives (it is asked now and each time the
   * partition's signal fires, on {@code executor}), or with {@code onTimeout}'s after {@code timeoutMs}.
   */
  public static <T> CompletableFuture<T> await(DataWatchers.PartitionKey key, DataWatchers watchers,
      Executor executor, ScheduledExecutorService timer, long timeoutMs, Supplier<Optional<T>> check,
      Supplier<T> onTimeout) {
    DelayedCondition<T> waiting = new DelayedCondition<>(key, watchers, executor, check);
    waiting.timeout = timer.schedule(() -> waiting.finish(onTimeout.get()), timeoutMs, TimeUnit.MILLISECONDS);
    waiting.check();
    return waiting.result;
  }

  @Override
  public void onData(DataWatchers.PartitionKey key) {
    executor.execute(this::check);
  }

  private void check() {
    if (result.isDone()) {
      return;
    }
    // Watch before checking, so a signal between the check and the watch is not missed.
    watchers.watch(keys, this);
    check.get().ifPresent(this::finish);
  }

  private void finish(T answer) {
    if (result.complete(answer)) {
      watchers.unwatch(keys, this);
      ScheduledFuture<?> t = timeout;
      if (t != null) {
        t.cancel(false);
      }
    }
  }
}
