package dev.skein.client.internal;

import dev.skein.client.BrokerAddress;
import dev.skein.client.BrokerNode;
import dev.skein.client.ClientConfig;
import dev.skein.client.PartitionInfo;
import dev.skein.client.SkeinException;
import dev.skein.client.TopicDescription;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.ClusterServiceGrpc;
import dev.skein.proto.v1.GetMetadataRequest;
import dev.skein.proto.v1.GetMetadataResponse;
import dev.skein.proto.v1.TopicMetadata;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The client's copy of cluster metadata: brokers and the topics it uses. Refreshed when it
 * is older than metadata.max.age.ms, when a topic is first used, and whenever a broker says
 * the cached view is stale (NOT_LEADER and the like).
 */
public final class MetadataCache {

  /**
   * An immutable view of the cluster at one moment, with each topic's partitions that have a
   * leader worked out once (the producer asks for them on every keyless record).
   */
  public record Snapshot(
      String clusterId, Map<Integer, BrokerNode> brokers, Map<String, TopicDescription> topics,
      Map<String, SkeinError> topicErrors, long fetchedAtNanos, Map<String, int[]> availablePartitions) {

    static final Snapshot EMPTY = new Snapshot("", Map.of(), Map.of(), Map.of(), 0, Map.of());

    /** The partition's leader epoch as last seen, or -1 if the partition is unknown. */
    public int leaderEpochOf(TopicPartition tp) {
      TopicDescription topic = topics.get(tp.topic());
      return topic == null || tp.partition() >= topic.partitionCount() ? -1
          : topic.partition(tp.partition()).leaderEpoch();
    }

    public Optional<BrokerAddress> leaderOf(TopicPartition tp) {
      TopicDescription topic = topics.get(tp.topic());
      if (topic == null || tp.partition() >= topic.partitionCount()) {
        return Optional.empty();
      }
      BrokerNode leader = brokers.get(topic.partition(tp.partition()).leader());
      return Optional.ofNullable(leader).map(BrokerNode::address);
    }
  }

  private final ClientConfig config;
  private final BrokerChannels channels;
  private final Set<String> topicsOfInterest = ConcurrentHashMap.newKeySet();
  private volatile Snapshot snapshot = Snapshot.EMPTY;
  private volatile boolean stale = true;

  public MetadataCache(ClientConfig config, BrokerChannels channels) {
    this.config = config;
    this.channels = channels;
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  /** Whether something reported the cached view as stale since the last refresh. */
  public boolean invalidated() {
    return stale;
  }

  /** Marks the cached view as stale: the next use refreshes it. */
  public void invalidate() {
    stale = true;
  }

  /**
   * The topic's description, refreshing first if the topic is new to this cache or the
   * cache is stale. Throws UNKNOWN_TOPIC if the cluster does not have it.
   */
  public TopicDescription topic(String name) {
    topicsOfInterest.add(name);
    Snapshot current = snapshot;
    if (!current.topics().containsKey(name) || isStale(current)) {
      current = refresh();
    }
    TopicDescription topic = current.topics().get(name);
    if (topic == null) {
      SkeinError error = current.topicErrors().getOrDefault(name,
          SkeinError.of(ErrorReason.UNKNOWN_TOPIC, "topic '" + name + "' does not exist"));
      throw new SkeinException(error);
    }
    return topic;
  }

  /** Refreshes the view if it is stale, then returns it. */
  public Snapshot current() {
    Snapshot current = snapshot;
    return isStale(current) ? refresh() : current;
  }

  private boolean isStale(Snapshot s) {
    return stale || System.nanoTime() - s.fetchedAtNanos() > config.metadataMaxAge().toNanos();
  }

  /** Fetches brokers and the topics of interest from the first broker that answers. */
  public synchronized Snapshot refresh() {
    GetMetadataRequest request = GetMetadataRequest.newBuilder().addAllTopics(topicsOfInterest).build();
    StatusRuntimeException last = null;
    for (BrokerAddress address : candidates()) {
      try {
        GetMetadataResponse response = ClusterServiceGrpc.newBlockingStub(channels.channel(address))
            .withDeadlineAfter(Math.min(config.requestTimeout().toMillis(), 10_000), TimeUnit.MILLISECONDS)
            .getMetadata(request);
        Snapshot fresh = toSnapshot(response, snapshot);
        snapshot = fresh;
        stale = false;
        return fresh;
      } catch (StatusRuntimeException e) {
        last = e;
      }
    }
    // One line for a person: the status code and description, never the cause's stack trace.
    String why = last == null ? "" : ": " + TlsFailures.explain(last, config.tls().enabled())
        .orElse(last.getStatus().getCode() + (last.getStatus().getDescription() == null ? ""
            : " (" + last.getStatus().getDescription() + ")"));
    throw new SkeinException("no broker answered at " + candidates() + why, Status.Code.UNAVAILABLE, last);
  }

  /** Running brokers we know of, then the bootstrap list, each once, in random order within each group. */
  private List<BrokerAddress> candidates() {
    List<BrokerAddress> known = new ArrayList<>();
    for (BrokerNode node : snapshot.brokers().values()) {
      if (node.running()) {
        known.add(node.address());
      }
    }
    Collections.shuffle(known);
    List<BrokerAddress> bootstrap = new ArrayList<>(config.bootstrap());
    Collections.shuffle(bootstrap);
    LinkedHashSet<BrokerAddress> all = new LinkedHashSet<>(known);
    all.addAll(bootstrap);
    return List.copyOf(all);
  }

  /** The answer as a snapshot, keeping what {@code previous} knew of newer leader epochs. */
  static Snapshot toSnapshot(GetMetadataResponse response, Snapshot previous) {
    Map<Integer, BrokerNode> brokers = new HashMap<>();
    response.getBrokersList().forEach(b -> brokers.put(b.getId(), BrokerNode.from(b)));
    Map<String, TopicDescription> topics = new HashMap<>();
    Map<String, SkeinError> errors = new HashMap<>();
    for (TopicMetadata t : response.getTopicsList()) {
      if (t.hasError() && !t.getError().getReason().isEmpty()) {
        errors.put(t.getName(), SkeinError.fromDetail(t.getError()));
      } else {
        topics.put(t.getName(), newestEpochs(TopicDescription.from(t), previous.topics().get(t.getName())));
      }
    }
    Map<String, int[]> available = new HashMap<>();
    topics.forEach((name, t) -> available.put(name,
        t.availablePartitions().stream().mapToInt(dev.skein.client.PartitionInfo::partition).toArray()));
    return new Snapshot(response.getClusterId(), Map.copyOf(brokers), Map.copyOf(topics), Map.copyOf(errors),
        System.nanoTime(), Map.copyOf(available));
  }

  /**
   * A broker cut off from the metadata quorum still answers with the image it last had, in
   * which it may lead partitions that have since moved on. Metadata never goes back in time
   * here (as in Kafka's client, KIP-320): a partition whose leader epoch is older than the one
   * already known keeps what was known, so a refresh that happens to ask such a broker cannot
   * send reads and writes back to a deposed leader. A topic deleted and created again has a
   * new id, and its epochs start over.
   */
  static TopicDescription newestEpochs(TopicDescription fresh, TopicDescription known) {
    if (known == null || !known.topicId().equals(fresh.topicId())) {
      return fresh;
    }
    List<PartitionInfo> partitions = new ArrayList<>(fresh.partitions());
    boolean kept = false;
    for (int i = 0; i < partitions.size() && i < known.partitionCount(); i++) {
      PartitionInfo before = known.partition(i);
      if (before.partition() == partitions.get(i).partition() && before.leaderEpoch() > partitions.get(i).leaderEpoch()) {
        partitions.set(i, before);
        kept = true;
      }
    }
    return kept ? new TopicDescription(fresh.name(), fresh.topicId(), fresh.internal(), partitions, fresh.configs())
        : fresh;
  }
}
