package dev.skein.metadata.image;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What changed between two images, for listeners that act on changes (a broker becoming a
 * partition's leader or follower, stopping a deleted topic's replicas) rather than on the whole
 * image.
 *
 * <p>Partitions of created topics appear in {@link #partitionChanges()} with no previous
 * registration; partitions of deleted topics do not (the deleted {@link TopicImage} has them).
 *
 * @param clusterIdChanged the cluster id was set
 * @param brokerChanges registrations added, changed or removed, by broker id
 * @param createdTopics topics present only in the new image
 * @param deletedTopics topics present only in the previous image, as they were
 * @param partitionChanges partitions of surviving or created topics whose registration changed
 * @param changedConfigs resources whose explicitly set configs changed
 * @param producerIdsChanged a producer id block was allocated
 * @param mirrorsChanged a mirror link or mirror topic was added, changed or removed
 * @param aclsChanged an ACL binding was added or removed
 */
public record MetadataDelta(
    boolean clusterIdChanged,
    SortedMap<Integer, BrokerChange> brokerChanges,
    List<TopicImage> createdTopics,
    List<TopicImage> deletedTopics,
    List<PartitionChange> partitionChanges,
    Set<ConfigResource> changedConfigs,
    boolean producerIdsChanged,
    boolean mirrorsChanged,
    boolean aclsChanged) {

  public MetadataDelta(boolean clusterIdChanged, SortedMap<Integer, BrokerChange> brokerChanges,
      List<TopicImage> createdTopics, List<TopicImage> deletedTopics, List<PartitionChange> partitionChanges,
      Set<ConfigResource> changedConfigs, boolean producerIdsChanged) {
    this(clusterIdChanged, brokerChanges, createdTopics, deletedTopics, partitionChanges, changedConfigs,
        producerIdsChanged, false, false);
  }

  public MetadataDelta(boolean clusterIdChanged, SortedMap<Integer, BrokerChange> brokerChanges,
      List<TopicImage> createdTopics, List<TopicImage> deletedTopics, List<PartitionChange> partitionChanges,
      Set<ConfigResource> changedConfigs, boolean producerIdsChanged, boolean mirrorsChanged) {
    this(clusterIdChanged, brokerChanges, createdTopics, deletedTopics, partitionChanges, changedConfigs,
        producerIdsChanged, mirrorsChanged, false);
  }

  /**
   * One broker's registration before and after.
   *
   * @param previous null if the broker registered for the first time
   * @param current null if the broker was unregistered
   */
  public record BrokerChange(int brokerId, BrokerRegistration previous, BrokerRegistration current) {}

  /**
   * One partition's registration before and after.
   *
   * @param previous null if the partition is new (its topic was created)
   */
  public record PartitionChange(String topicId, String topicName, int partition,
      PartitionRegistration previous, PartitionRegistration current) {

    public PartitionChange {
      Objects.requireNonNull(current, "current");
    }

    public boolean leaderChanged() {
      return previous == null || previous.leader() != current.leader()
          || previous.leaderEpoch() != current.leaderEpoch();
    }
  }

  public MetadataDelta {
    brokerChanges = Collections.unmodifiableSortedMap(new TreeMap<>(brokerChanges));
    createdTopics = List.copyOf(createdTopics);
    deletedTopics = List.copyOf(deletedTopics);
    partitionChanges = List.copyOf(partitionChanges);
    changedConfigs = Set.copyOf(changedConfigs);
  }

  public boolean isEmpty() {
    return !clusterIdChanged && brokerChanges.isEmpty() && createdTopics.isEmpty() && deletedTopics.isEmpty()
        && partitionChanges.isEmpty() && changedConfigs.isEmpty() && !producerIdsChanged && !mirrorsChanged
        && !aclsChanged;
  }

  /**
   * The changes that turn {@code previous} into {@code next}. The offset is not a change.
   *
   * <p>Images share unchanged parts, so this compares references first and only looks inside
   * what was rebuilt; when the topics differ at all it costs a lookup per topic and a pass over
   * each changed topic's partitions. A batch's own delta ({@link ApplyOutcome.Applied#delta})
   * costs only what the batch touched.
   */
  public static MetadataDelta between(ClusterImage previous, ClusterImage next) {
    return between(previous, next, null);
  }

  /**
   * The changes that turn {@code previous} into {@code next}, looking only at the topics and
   * partitions a batch touched.
   *
   * @param touchedPartitions by topic id, every topic that may differ (created, removed or
   *     changed) with the partitions that may differ in it (all of a created topic's are taken);
   *     null to compare every topic
   */
  static MetadataDelta between(ClusterImage previous, ClusterImage next,
      Map<String, ? extends Collection<Integer>> touchedPartitions) {
    boolean clusterIdChanged = !previous.clusterId().equals(next.clusterId());
    SortedMap<Integer, BrokerChange> brokerChanges = brokerChanges(previous.brokers(), next.brokers());
    List<TopicImage> created = new ArrayList<>();
    List<TopicImage> deleted = new ArrayList<>();
    List<PartitionChange> partitionChanges = new ArrayList<>();
    if (previous.topics() != next.topics() && touchedPartitions != null) {
      touchedPartitions.forEach((topicId, partitions) -> {
        TopicImage before = previous.topics().byId().get(topicId);
        TopicImage after = next.topics().byId().get(topicId);
        if (after == null) {
          if (before != null) {
            deleted.add(before);
          }
        } else if (before == null) {
          created.add(after);
          addPartitionChanges(null, after, partitionChanges);
        } else if (before != after) {
          for (int partition : partitions) {
            addPartitionChange(after, partition, before.partitions().get(partition), partitionChanges);
          }
        }
      });
    } else if (previous.topics() != next.topics()) {
      for (TopicImage topic : next.topics().byId().values()) {
        TopicImage before = previous.topics().byId().get(topic.id());
        if (before == topic) {
          continue;
        }
        if (before == null) {
          created.add(topic);
        }
        addPartitionChanges(before, topic, partitionChanges);
      }
      for (TopicImage topic : previous.topics().byId().values()) {
        if (!next.topics().byId().containsKey(topic.id())) {
          deleted.add(topic);
        }
      }
    }
    Set<ConfigResource> changedConfigs = new HashSet<>();
    if (previous.configs() != next.configs()) {
      Map<ConfigResource, Map<String, String>> before = previous.configs().configs();
      Map<ConfigResource, Map<String, String>> after = next.configs().configs();
      after.forEach((resource, values) -> {
        if (!values.equals(before.get(resource))) {
          changedConfigs.add(resource);
        }
      });
      before.keySet().stream().filter(resource -> !after.containsKey(resource)).forEach(changedConfigs::add);
    }
    boolean producerIdsChanged = !previous.producerIds().equals(next.producerIds());
    boolean mirrorsChanged = !previous.mirrors().equals(next.mirrors());
    boolean aclsChanged = previous.acls() != next.acls() && !previous.acls().equals(next.acls());
    return new MetadataDelta(clusterIdChanged, brokerChanges, created, deleted, partitionChanges, changedConfigs,
        producerIdsChanged, mirrorsChanged, aclsChanged);
  }

  private static SortedMap<Integer, BrokerChange> brokerChanges(BrokersImage previous, BrokersImage next) {
    SortedMap<Integer, BrokerChange> changes = new TreeMap<>();
    if (previous == next) {
      return changes;
    }
    next.brokers().forEach((id, registration) -> {
      BrokerRegistration before = previous.brokers().get(id);
      if (!registration.equals(before)) {
        changes.put(id, new BrokerChange(id, before, registration));
      }
    });
    previous.brokers().forEach((id, registration) -> {
      if (!next.brokers().containsKey(id)) {
        changes.put(id, new BrokerChange(id, registration, null));
      }
    });
    return changes;
  }

  private static void addPartitionChanges(TopicImage before, TopicImage after, List<PartitionChange> out) {
    after.partitions().forEach((partition, registration) -> addIfChanged(after, partition,
        before == null ? null : before.partitions().get(partition), registration, out));
  }

  private static void addPartitionChange(TopicImage after, int partition, PartitionRegistration previous,
      List<PartitionChange> out) {
    addIfChanged(after, partition, previous, after.partitions().get(partition), out);
  }

  private static void addIfChanged(TopicImage after, int partition, PartitionRegistration previous,
      PartitionRegistration registration, List<PartitionChange> out) {
    // Unchanged registrations are the same objects (images share them); equals is for the rest.
    if (registration != null && registration != previous && !registration.equals(previous)) {
      out.add(new PartitionChange(after.id(), after.name(), partition, previous, registration));
    }
  }
}
