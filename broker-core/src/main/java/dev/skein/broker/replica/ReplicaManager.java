package dev.skein.broker.replica;

import dev.skein.broker.BrokerException;
import dev.skein.broker.HostPort;
import dev.skein.broker.fetch.DataWatchers;
import dev.skein.metadata.image.BrokerRegistration;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.ConfigResource;
import dev.skein.metadata.image.MetadataDelta;
import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.metadata.image.TopicImage;
import dev.skein.rpc.ErrorReason;
import dev.skein.storage.log.LogConfig;
import dev.skein.storage.log.LogManager;
import dev.skein.storage.log.PartitionLog;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partition replicas this broker hosts, kept in line with the metadata image: it opens
 * a partition's log when the broker becomes one of its replicas, makes it leader or follower
 * as the image says (followers fetch from their leader through the fetcher manager), and
 * deletes the data of deleted topics. Brokers never change metadata themselves, except that
 * a leader proposes ISR changes to the controller; they react to what the quorum decided.
 */
public final class ReplicaManager implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ReplicaManager.class);

  /** What the replica manager works with, besides the logs. */
  public record Collaborators(DataWatchers commitWatchers, DataWatchers logEndWatchers, IsrChannel isrChannel,
      PeerChannels peers, LongSupplier brokerEpoch, LongSupplier clockMs, IntConsumer reportUnreachable) {}

  private final int brokerId;
  private final LogManager logs;
  private final LogConfig logDefaults;
  private final ReplicationConfig replication;
  private final Collaborators with;
  private final Supplier<ClusterImage> latestImage;
  private final ReplicaFetcherManager fetchers;
  private final ReplicationFaults faults = new ReplicationFaults();
  private final ReplicationStats stats = new ReplicationStats();
  private final Map<DataWatchers.PartitionKey, Partition> partitions = new ConcurrentHashMap<>();
  /**
   * False while the broker replays metadata written before its own registration: that
   * history may make it leader of partitions it no longer leads, so it is not acted on.
   */
  private volatile boolean caughtUp;

  /**
   * @param latestImage the newest applied metadata, which may be ahead of what this manager
   *     has acted on (it learns of changes a moment later, on the publisher thread)
   */
  public ReplicaManager(int brokerId, LogManager logs, LogConfig logDefaults, ReplicationConfig replication,
      Collaborators with, Supplier<ClusterImage> latestImage) {
    this.brokerId = brokerId;
    this.logs = logs;
    this.logDefaults = logDefaults;
    this.replication = replication;
    this.with = with;
    this.latestImage = latestImage;
    this.fetchers = new ReplicaFetcherManager(brokerId, with.peers(), replication, with.brokerEpoch(), faults,
        with.reportUnreachable(), logs::deferStateSyncs);
  }

  /** Starts the periodic ISR check of the partitions this broker leads. */
  public void start(ScheduledExecutorService scheduler) {
    long periodMs = Math.max(50, Math.min(1_000, replication.replicaLagTimeMax().toMillis() / 4));
    scheduler.scheduleWithFixedDelay(this::shrinkLaggingIsrs, periodMs, periodMs, TimeUnit.MILLISECONDS);
  }

  private void shrinkLaggingIsrs() {
    for (Partition p : partitions.values()) {
      try {
        p.maybeShrinkIsr();
      } catch (RuntimeException e) {
        log.warn("ISR check of {} failed", p.id(), e);
      }
    }
  }

  /** Applies one published metadata change. Called in log order from the metadata publisher thread. */
  public synchronized void onMetadataUpdate(MetadataDelta delta, ClusterImage newImage) {
    if (!caughtUp) {
      long registeredAt = with.brokerEpoch().getAsLong();
      if (registeredAt <= 0 || newImage.offset() < registeredAt) {
        return;
      }
      // Our registration is applied: act on the whole current image at once.
      log.info("broker {} caught up with the metadata log at offset {}; taking up {} partition replicas", brokerId,
          newImage.offset(), countReplicas(newImage));
      applyDelta(MetadataDelta.between(ClusterImage.EMPTY, newImage), newImage);
      // The image now names every topic that exists, so any other partition directory on
      // disk belongs to a topic deleted while this broker was away.
      removeStrayLogs();
      caughtUp = true;
      return;
    }
    applyDelta(delta, newImage);
  }

  private void applyDelta(MetadataDelta delta, ClusterImage newImage) {
    // A delta may make this broker leader of thousands of partitions, each writing a leader epoch:
    // one fsync of the state store for all of them, when the delta is taken up.
    try (LogManager.SyncScope grouped = logs.deferStateSyncs()) {
      applyDeltaGrouped(delta, newImage);
    }
  }

  private void applyDeltaGrouped(MetadataDelta delta, ClusterImage newImage) {
    for (TopicImage deleted : delta.deletedTopics()) {
      for (int p : deleted.partitions().keySet()) {
        removeReplica(deleted.name(), p, deleted.id());
      }
    }
    openNewLogs(delta, newImage);
    for (MetadataDelta.PartitionChange change : delta.partitionChanges()) {
      applyPartition(newImage, change.topicId(), change.topicName(), change.partition(), change.current());
    }
    for (var resource : delta.changedConfigs()) {
      if (resource.type() == ConfigResource.Type.CLUSTER) {
        // The cluster-wide defaults changed: every hosted partition may have new settings.
        for (Partition p : partitions.values()) {
          newImage.topics().byId(p.id().topicId()).ifPresent(topic -> topic.partition(p.id().partition())
              .ifPresent(registration -> applyPartition(newImage, topic.id(), topic.name(), p.id().partition(),
                  registration)));
        }
        continue;
      }
      newImage.topics().byId(resource.name()).ifPresent(topic -> topic.partitions().forEach((p, registration) -> {
        if (registration.isReplica(brokerId)) {
          applyPartition(newImage, topic.id(), topic.name(), p, registration);
        }
      }));
    }
    // A leader that re-registered (new address) must be fetched from at its new address.
    for (MetadataDelta.BrokerChange change : delta.brokerChanges().values()) {
      if (change.current() != null && change.previous() != null
          && (!change.current().host().equals(change.previous().host())
          || change.current().port() != change.previous().port())) {
        for (Partition p : partitions.values()) {
          if (p.leadership().leaderId() == change.brokerId()) {
            follow(newImage, p);
          }
        }
      }
    }
  }

  /**
   * Opens (or creates) the logs of the partitions this delta makes us a replica of, several at once,
   * before they are taken up one by one: a new topic of thousands of partitions, or a restart, would
   * otherwise wait for each log's fsyncs and reads in turn.
   */
  private void openNewLogs(MetadataDelta delta, ClusterImage newImage) {
    java.util.List<LogManager.LogSpec> toOpen = new java.util.ArrayList<>();
    Map<String, TopicSettings> settingsByTopic = new java.util.HashMap<>();
    for (MetadataDelta.PartitionChange change : delta.partitionChanges()) {
      if (!change.current().isReplica(brokerId)) {
        continue;
      }
      Partition existing = partitions.get(new DataWatchers.PartitionKey(change.topicName(), change.partition()));
      if (existing != null) {
        continue; // a topic id mismatch is handled, serially, by applyPartition
      }
      TopicSettings settings = settingsByTopic.computeIfAbsent(change.topicId(),
          id -> TopicSettings.from(newImage.configs().effectiveTopicConfigs(id), logDefaults));
      toOpen.add(new LogManager.LogSpec(change.topicName(), change.partition(), change.topicId(), settings.log()));
    }
    if (toOpen.size() > 1) {
      long start = System.nanoTime();
      try {
        logs.getOrCreateLogs(toOpen, LogManager.OPEN_PARALLELISM);
      } catch (RuntimeException e) {
        // Whatever did open stays open; the rest are tried again, one by one, below.
        log.warn("opening {} partition logs at once failed; taking them up one by one", toOpen.size(), e);
      }
      log.info("opened {} partition logs in {} ms", toOpen.size(), (System.nanoTime() - start) / 1_000_000);
    }
  }

  private long countReplicas(ClusterImage image) {
    return image.topics().byId().values().stream().flatMap(t -> t.partitions().values().stream())
        .filter(r -> r.isReplica(brokerId)).count();
  }

  private void applyPartition(ClusterImage newImage, String topicId, String topic, int partition,
      PartitionRegistration registration) {
    DataWatchers.PartitionKey key = new DataWatchers.PartitionKey(topic, partition);
    Partition existing = partitions.get(key);
    if (!registration.isReplica(brokerId)) {
      if (existing != null && existing.id().topicId().equals(topicId)) {
        removeReplica(topic, partition, topicId);
      }
      return;
    }
    TopicSettings settings = TopicSettings.from(newImage.configs().effectiveTopicConfigs(topicId), logDefaults);
    if (existing != null && !existing.id().topicId().equals(topicId)) {
      // Same name, new topic id: the old topic was deleted while we were not looking.
      removeReplica(topic, partition, existing.id().topicId());
      existing = null;
    }
    if (existing == null) {
      PartitionLog partitionLog = logs.getOrCreateLog(topic, partition, topicId, settings.log());
      existing = new Partition(new Partition.Id(topic, partition, topicId), brokerId, partitionLog,
          with.commitWatchers(), with.logEndWatchers(), with.isrChannel(), replication, with.clockMs(),
          this::isUsableBroker, start -> logs.advanceLogStartOffset(topic, partition, start), registration,
          settings, stats);
      partitions.put(key, existing);
      log.debug("hosting {} (leader {}, epoch {})", existing.id(), registration.leader(), registration.leaderEpoch());
    } else {
      existing.update(registration, settings);
    }
    follow(newImage, existing);
  }

  /** Whether the latest image has the broker registered, unfenced and not shutting down. */
  private boolean isUsableBroker(int id) {
    return latestImage.get().brokers().isUsable(id);
  }

  /** Makes the fetchers follow the partition's leader, or stop if we lead it or nobody does. */
  private void follow(ClusterImage image, Partition partition) {
    Partition.Leadership l = partition.leadership();
    if (l.leaderId() == brokerId || l.leaderId() < 0) {
      fetchers.unfollow(partition);
      return;
    }
    Optional<BrokerRegistration> leader = image.brokers().get(l.leaderId());
    if (leader.isEmpty()) {
      fetchers.unfollow(partition);
      return;
    }
    fetchers.follow(partition, l.leaderId(), new HostPort(leader.get().host(), leader.get().port()),
        l.leaderEpoch());
  }

  private void removeReplica(String topic, int partition, String topicId) {
    DataWatchers.PartitionKey key = new DataWatchers.PartitionKey(topic, partition);
    Partition removed = partitions.get(key);
    if (removed != null && !removed.id().topicId().equals(topicId)) {
      return;
    }
    if (removed != null) {
      fetchers.unfollow(removed);
      // Before its log closes: whoever still holds the partition gets a retriable refusal, not a closed log.
      removed.markRemoved();
    }
    partitions.remove(key);
    logs.deleteLog(topic, partition);
    with.commitWatchers().fire(key);
    with.logEndWatchers().fire(key);
    log.info("deleted the log of {}-{} (topic id {})", topic, partition, topicId);
  }

  /**
   * Deletes partition directories that no topic in the image owns: data of topics deleted
   * while this broker was down. Only safe right after taking up an image at or past this
   * broker's registration, which names every topic that exists.
   */
  private void removeStrayLogs() {
    Set<String> wanted = new HashSet<>();
    for (Partition p : partitions.values()) {
      wanted.add(p.id().topic() + "-" + p.id().partition());
    }
    for (var dir : logs.listLogDirectories()) {
      if (!wanted.contains(dir.topic() + "-" + dir.partition())) {
        log.info("deleting stray log {}-{}: its topic no longer exists", dir.topic(), dir.partition());
        logs.deleteLog(dir.topic(), dir.partition());
      }
    }
  }

  /** The partition, if this broker hosts it. */
  public Optional<Partition> partition(String topic, int partition) {
    return Optional.ofNullable(partitions.get(new DataWatchers.PartitionKey(topic, partition)));
  }

  /**
   * The partition for a produce or fetch: it must exist, and this broker must lead it.
   * Errors say whether the topic or partition is unknown, or who leads it instead.
   */
  public Partition leaderPartition(String topic, int partition) {
    requireCaughtUp();
    Partition local = partitions.get(new DataWatchers.PartitionKey(topic, partition));
    if (local != null) {
      local.requireLeader();
      return local;
    }
    TopicImage t = latestImage.get().topics().byName(topic).orElseThrow(() ->
        BrokerException.of(ErrorReason.UNKNOWN_TOPIC, "topic '" + topic + "' does not exist"));
    PartitionRegistration registration = t.partition(partition).orElseThrow(() ->
        BrokerException.of(ErrorReason.UNKNOWN_PARTITION, "topic '" + topic + "' has " + t.partitionCount()
            + " partitions; there is no partition " + partition));
    if (!registration.hasLeader()) {
      throw BrokerException.of(ErrorReason.LEADER_NOT_AVAILABLE, "partition " + topic + "-" + partition
          + " has no leader right now");
    }
    if (registration.leader() == brokerId) {
      // The quorum made us leader a moment ago and the log is still being opened.
      throw BrokerException.of(ErrorReason.LEADER_NOT_AVAILABLE, "broker " + brokerId + " is still opening partition "
          + topic + "-" + partition + "; retry shortly");
    }
    throw BrokerException.of(ErrorReason.NOT_LEADER, "broker " + brokerId + " does not lead partition " + topic + "-"
        + partition + "; broker " + registration.leader() + " does",
        Map.of("leader_id", Integer.toString(registration.leader()),
            "leader_epoch", Integer.toString(registration.leaderEpoch())));
  }

  /**
   * Refuses while the broker replays metadata from before its registration: until then it has
   * not taken up its replicas, so it would answer for partitions with nothing or with stale state.
   */
  public void requireCaughtUp() {
    if (!caughtUp) {
      throw BrokerException.of(ErrorReason.BROKER_NOT_AVAILABLE, "broker " + brokerId
          + " is starting and still catching up with the cluster's metadata; retry shortly or use another broker",
          Map.of("broker_id", Integer.toString(brokerId), "broker_state", "STARTING"));
    }
  }

  /** Switches for cutting replication in tests and failure drills. */
  public ReplicationFaults faults() {
    return faults;
  }

  /** ISR change totals, for metrics. */
  public ReplicationStats stats() {
    return stats;
  }

  /** The hosted partitions, live (no copy): for metrics, which read each one once per scrape. */
  public java.util.Collection<Partition> hostedPartitions() {
    return java.util.Collections.unmodifiableCollection(partitions.values());
  }

  /** Every hosted partition (for tests and diagnostics). */
  /** The broker's logs and their state store. */
  public LogManager logManager() {
    return logs;
  }

  public Map<DataWatchers.PartitionKey, Partition> partitions() {
    return Map.copyOf(partitions);
  }

  @Override
  public void close() {
    fetchers.close();
    partitions.clear();
  }
}
