package dev.skein.broker.replica;

import dev.skein.broker.BrokerException;
import dev.skein.broker.fetch.DataWatchers;
import dev.skein.metadata.image.ClusterImage;
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
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partition replicas this broker hosts, kept in line with the metadata image: it opens
 * a partition's log when the broker becomes one of its replicas, applies leadership changes,
 * and deletes the data of deleted topics. Brokers never change metadata themselves; they
 * react to what the quorum decided.
 */
public final class ReplicaManager implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ReplicaManager.class);

  private final int brokerId;
  private final LogManager logs;
  private final LogConfig logDefaults;
  private final DataWatchers watchers;
  private final Supplier<ClusterImage> latestImage;
  private final Map<DataWatchers.PartitionKey, Partition> partitions = new ConcurrentHashMap<>();

  /**
   * @param latestImage the newest applied metadata, which may be ahead of what this manager
   *     has acted on (it learns of changes a moment later, on the publisher thread)
   */
  public ReplicaManager(int brokerId, LogManager logs, LogConfig logDefaults, DataWatchers watchers,
      Supplier<ClusterImage> latestImage) {
    this.brokerId = brokerId;
    this.logs = logs;
    this.logDefaults = logDefaults;
    this.watchers = watchers;
    this.latestImage = latestImage;
  }

  /** Applies one published metadata change. Called in log order from the metadata publisher thread. */
  public synchronized void onMetadataUpdate(MetadataDelta delta, ClusterImage newImage) {
    for (TopicImage deleted : delta.deletedTopics()) {
      for (int p : deleted.partitions().keySet()) {
        removeReplica(deleted.name(), p, deleted.id());
      }
    }
    for (MetadataDelta.PartitionChange change : delta.partitionChanges()) {
      applyPartition(newImage, change.topicId(), change.topicName(), change.partition(), change.current());
    }
    for (var resource : delta.changedConfigs()) {
      newImage.topics().byId(resource.name()).ifPresent(topic -> topic.partitions().forEach((p, registration) -> {
        if (registration.isReplica(brokerId)) {
          applyPartition(newImage, topic.id(), topic.name(), p, registration);
        }
      }));
    }
  }

  private void applyPartition(ClusterImage newImage, String topicId, String topic, int partition,
      PartitionRegistration registration) {
    DataWatchers.PartitionKey key = new DataWatchers.PartitionKey(topic, partition);
    if (!registration.isReplica(brokerId)) {
      Partition existing = partitions.get(key);
      if (existing != null && existing.id().topicId().equals(topicId)) {
        removeReplica(topic, partition, topicId);
      }
      return;
    }
    TopicSettings settings = TopicSettings.from(newImage.configs().topicConfigs(topicId), logDefaults);
    Partition existing = partitions.get(key);
    if (existing != null && existing.id().topicId().equals(topicId)) {
      existing.update(registration, settings);
      return;
    }
    if (existing != null) {
      // Same name, new topic id: the old topic was deleted while we were not looking.
      removeReplica(topic, partition, existing.id().topicId());
    }
    PartitionLog partitionLog = logs.getOrCreateLog(topic, partition, topicId, settings.log());
    Partition created = new Partition(new Partition.Id(topic, partition, topicId), brokerId, partitionLog, watchers,
        registration, settings);
    created.update(registration, settings);
    partitions.put(key, created);
    log.debug("hosting {} (leader {}, epoch {})", created.id(), registration.leader(), registration.leaderEpoch());
  }

  private void removeReplica(String topic, int partition, String topicId) {
    DataWatchers.PartitionKey key = new DataWatchers.PartitionKey(topic, partition);
    Partition removed = partitions.get(key);
    if (removed != null && !removed.id().topicId().equals(topicId)) {
      return;
    }
    partitions.remove(key);
    logs.deleteLog(topic, partition);
    watchers.fire(key);
    log.info("deleted the log of {}-{} (topic id {})", topic, partition, topicId);
  }

  /**
   * Deletes partition directories that no topic in the image owns: data of topics deleted
   * while this broker was down. Only safe once the broker has caught up with the metadata log.
   */
  public synchronized void removeStrayLogs() {
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

  @Override
  public void close() {
    partitions.clear();
  }
}
