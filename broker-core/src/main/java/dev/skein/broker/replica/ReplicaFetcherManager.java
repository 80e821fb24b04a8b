package dev.skein.broker.replica;

import dev.skein.broker.HostPort;
import dev.skein.storage.log.LogManager;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The fetchers of the partitions this broker follows: one per leader broker, so every
 * partition led by the same broker shares one stream. All fetchers share one thread.
 */
final class ReplicaFetcherManager implements AutoCloseable {

  private final int localBrokerId;
  private final PeerChannels channels;
  private final ReplicationConfig config;
  private final LongSupplier brokerEpoch;
  private final ReplicationFaults faults;
  private final IntConsumer reportUnreachable;
  private final Supplier<LogManager.SyncScope> groupStateSyncs;
  private final ScheduledExecutorService executor;
  private final Map<Integer, ReplicaFetcher> fetchers = new HashMap<>();
  /** Which leader each followed partition fetches from. */
  private final Map<Partition, Integer> leaderOf = new HashMap<>();

  ReplicaFetcherManager(int localBrokerId, PeerChannels channels, ReplicationConfig config, LongSupplier brokerEpoch,
      ReplicationFaults faults, IntConsumer reportUnreachable, Supplier<LogManager.SyncScope> groupStateSyncs) {
    this.localBrokerId = localBrokerId;
    this.channels = channels;
    this.config = config;
    this.brokerEpoch = brokerEpoch;
    this.faults = faults;
    this.reportUnreachable = reportUnreachable;
    this.groupStateSyncs = groupStateSyncs;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "skein-replica-fetcher-" + localBrokerId);
      t.setDaemon(true);
      return t;
    });
  }

  /** Follows the partition from {@code leaderId} at {@code address} in {@code leaderEpoch}. */
  synchronized void follow(Partition partition, int leaderId, HostPort address, int leaderEpoch) {
    Integer previous = leaderOf.put(partition, leaderId);
    if (previous != null && previous != leaderId) {
      fetcher(previous).ifPresent(f -> f.unfollow(partition));
    }
    ReplicaFetcher fetcher = fetchers.get(leaderId);
    if (fetcher == null || !fetcher.leaderAddress().equals(address)) {
      if (fetcher != null) {
        fetcher.close();
      }
      fetcher = new ReplicaFetcher(localBrokerId, leaderId, address, channels, executor, config, brokerEpoch,
          faults, reportUnreachable, groupStateSyncs);
      fetchers.put(leaderId, fetcher);
      // A new fetcher (new leader address) takes over every partition this leader leads for us.
      for (Map.Entry<Partition, Integer> e : leaderOf.entrySet()) {
        if (e.getValue() == leaderId && e.getKey() != partition) {
          fetcher.follow(e.getKey(), e.getKey().leadership().leaderEpoch());
        }
      }
    }
    fetcher.follow(partition, leaderEpoch);
  }

  synchronized void unfollow(Partition partition) {
    Integer leader = leaderOf.remove(partition);
    if (leader != null) {
      fetcher(leader).ifPresent(f -> f.unfollow(partition));
    }
  }

  private java.util.Optional<ReplicaFetcher> fetcher(int leaderId) {
    return java.util.Optional.ofNullable(fetchers.get(leaderId));
  }

  @Override
  public synchronized void close() {
    fetchers.values().forEach(ReplicaFetcher::close);
    fetchers.clear();
    leaderOf.clear();
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
