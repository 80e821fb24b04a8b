package dev.skein.broker.mirror;

import dev.skein.broker.HostPort;
import dev.skein.broker.replica.Partition;
import dev.skein.broker.replica.PeerChannels;
import dev.skein.broker.replica.ReplicaManager;
import dev.skein.broker.rpc.ControllerCalls;
import dev.skein.metadata.MetadataQuorum;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.MetadataDelta;
import dev.skein.metadata.image.MirrorsImage;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.MirrorLinkRecord;
import dev.skein.proto.internal.v1.RaiseProducerIdsRequest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs this broker's share of the cluster's mirror links, as the metadata image says:
 *
 * <ul>
 *   <li>for every partition of a mirror topic (not promoted, link not paused) that this broker
 *       leads, a {@link PartitionMirror} copying it from the source;
 *   <li>on the broker whose metadata quorum member is the Raft leader, the links' periodic
 *       {@link LinkSync} (new topics, partition counts, topic configs, group offsets).
 * </ul>
 *
 * Everything is re-derived from the image (and partition leaderships) on every metadata
 * update and once a second, so restarts and leader moves need no state of their own.
 */
public final class MirrorManager implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MirrorManager.class);

  private final int nodeId;
  private final MetadataQuorum quorum;
  private final ReplicaManager replicas;
  private final ControllerCalls controller;
  private final MirrorFaults faults;
  private final ScheduledExecutorService executor;
  private final ScheduledExecutorService syncExecutor;
  private final LinkSync linkSync;
  private final Map<String, SourceCluster> sources = new ConcurrentHashMap<>();
  private final Map<String, ByteRateLimiter> limiters = new ConcurrentHashMap<>();
  private final Map<String, Long> lastSyncNanos = new HashMap<>();
  private final Map<String, LinkSync.Report> syncReports = new ConcurrentHashMap<>();
  /** Running copies by "topic-partition"; touched only on the executor. */
  private final Map<String, PartitionMirror> tasks = new ConcurrentHashMap<>();
  private final AtomicLong maxMirroredProducerId = new AtomicLong(-1);
  private final AtomicBoolean raisingProducerIds = new AtomicBoolean();
  private volatile long raisedProducerIdsTo = -1;
  private volatile boolean closed;
  private final Optional<X509ExtendedKeyManager> identity;

  /**
   * @param localPeers channels to this cluster's brokers (secured as replication is)
   * @param identity this broker's TLS identity, presented to sources that ask for a client certificate
   */
  public MirrorManager(int nodeId, HostPort self, MetadataQuorum quorum, ReplicaManager replicas,
      ControllerCalls controller, MirrorFaults faults, PeerChannels localPeers,
      Optional<X509ExtendedKeyManager> identity) {
    this.nodeId = nodeId;
    this.quorum = quorum;
    this.replicas = replicas;
    this.controller = controller;
    this.faults = faults;
    this.executor = Executors.newScheduledThreadPool(2, threads("skein-mirror-" + nodeId));
    this.syncExecutor = Executors.newSingleThreadScheduledExecutor(threads("skein-mirror-sync-" + nodeId));
    this.identity = identity;
    this.linkSync = new LinkSync(self, quorum, controller, localPeers);
  }

  public void start() {
    executor.scheduleWithFixedDelay(this::reconcileSafely, 1, 1, TimeUnit.SECONDS);
    syncExecutor.scheduleWithFixedDelay(this::syncLinksSafely, 200, 200, TimeUnit.MILLISECONDS);
  }

  /** A metadata listener: re-derives the running copies from the new image. */
  public void onMetadataUpdate(MetadataDelta delta, ClusterImage image) {
    if (!closed && (delta.mirrorsChanged() || !delta.partitionChanges().isEmpty() || !delta.deletedTopics().isEmpty()
        || !delta.createdTopics().isEmpty())) {
      executor.execute(this::reconcileSafely);
    }
  }

  public MirrorFaults faults() {
    return faults;
  }

  /** The copy of a partition this broker runs, if it runs one. */
  Optional<PartitionMirror> task(String topic, int partition) {
    return Optional.ofNullable(tasks.get(topic + "-" + partition));
  }

  /** This broker's log end of a partition, or -1 if it has no replica. */
  long localLogEnd(String topic, int partition) {
    return replicas.partition(topic, partition).map(Partition::logEndOffset).orElse(-1L);
  }

  Optional<LinkSync.Report> lastSync(String link) {
    return Optional.ofNullable(syncReports.get(link));
  }

  SourceCluster source(MirrorLinkRecord link) {
    // A link's settings never change (links are deleted and created again), so its source is made once.
    return sources.computeIfAbsent(link.getName(), name -> new SourceCluster(name, link.getSourceBootstrapList(),
        SourceTls.of(link), identity, faults, executor));
  }

  private void reconcileSafely() {
    try {
      reconcile();
    } catch (RuntimeException e) {
      log.warn("mirror reconcile failed", e);
    }
  }

  private synchronized void reconcile() {
    if (closed) {
      return;
    }
    ClusterImage image = quorum.image();
    MirrorsImage mirrors = image.mirrors();
    // Sources and rate limits follow the links.
    int brokers = Math.max(1, image.brokers().usableBrokerIds().size());
    for (MirrorLinkRecord link : mirrors.links().values()) {
      source(link).setBootstrap(link.getSourceBootstrapList());
      // The link's limit is shared by the brokers (each leads about its share of the partitions).
      long rate = link.getMaxBytesPerSecond() <= 0 ? 0 : Math.max(1, link.getMaxBytesPerSecond() / brokers);
      limiters.computeIfAbsent(link.getName(), n -> new ByteRateLimiter(rate)).setRate(rate);
    }
    for (String name : Set.copyOf(sources.keySet())) {
      if (!mirrors.links().containsKey(name)) {
        Optional.ofNullable(sources.remove(name)).ifPresent(SourceCluster::close);
        limiters.remove(name);
        syncReports.remove(name);
      }
    }
    Set<String> wanted = new HashSet<>();
    for (MirrorsImage.MirrorTopic mirror : mirrors.topics().values()) {
      MirrorLinkRecord link = mirrors.links().get(mirror.link());
      Optional<TopicImage> topic = image.topics().byId(mirror.topicId());
      if (mirror.promoted() || link == null || link.getPaused() || topic.isEmpty()) {
        continue;
      }
      for (int p : topic.get().partitions().keySet()) {
        Optional<Partition> partition = replicas.partition(topic.get().name(), p);
        if (partition.isEmpty() || !partition.get().isLeader()
            || !partition.get().id().topicId().equals(mirror.topicId())) {
          continue;
        }
        String key = topic.get().name() + "-" + p;
        wanted.add(key);
        int epoch = partition.get().leadership().leaderEpoch();
        PartitionMirror running = tasks.get(key);
        if (running != null && running.partition() == partition.get() && running.leaderEpoch() == epoch
            && !running.stopped()) {
          continue;
        }
        if (running != null) {
          running.stop();
        }
        PartitionMirror task = new PartitionMirror(link.getName(), partition.get(), epoch, source(link),
            limiters.get(link.getName()), executor, this::producerIdMirrored);
        tasks.put(key, task);
        task.start();
      }
    }
    for (Map.Entry<String, PartitionMirror> entry : List.copyOf(tasks.entrySet())) {
      if (!wanted.contains(entry.getKey())) {
        entry.getValue().stop();
        tasks.remove(entry.getKey(), entry.getValue());
        log.info("{}: stopped mirroring", entry.getKey());
      }
    }
  }

  /**
   * Keeps this cluster's producer ids above every id found in mirrored batches: after a
   * promotion a new producer must never get an id the mirrored log already holds state for.
   */
  private void producerIdMirrored(long producerId) {
    maxMirroredProducerId.accumulateAndGet(producerId, Math::max);
    if (producerId < quorum.image().producerIds().nextProducerId() || producerId < raisedProducerIdsTo
        || !raisingProducerIds.compareAndSet(false, true)) {
      return;
    }
    // Leave room: the source keeps handing out ids in blocks.
    long target = maxMirroredProducerId.get() + 1 + 10_000;
    controller.call(ControllerRequest.newBuilder().setRaiseProducerIds(RaiseProducerIdsRequest.newBuilder()
        .setAtLeast(target)).build()).whenComplete((applied, error) -> {
          if (error == null) {
            raisedProducerIdsTo = target;
          } else {
            log.info("could not raise producer ids past mirrored ones: {}", error.toString());
          }
          raisingProducerIds.set(false);
        });
  }

  private void syncLinksSafely() {
    try {
      syncLinks();
    } catch (RuntimeException e) {
      log.warn("mirror link sync failed", e);
    }
  }

  private void syncLinks() {
    if (closed || !quorum.isLeader()) {
      return;
    }
    ClusterImage image = quorum.image();
    long now = System.nanoTime();
    for (MirrorLinkRecord link : image.mirrors().links().values()) {
      if (link.getPaused()) {
        continue;
      }
      long interval = TimeUnit.MILLISECONDS.toNanos(link.getSyncIntervalMs() > 0 ? link.getSyncIntervalMs() : 5_000);
      Long last = lastSyncNanos.get(link.getName());
      if (last != null && now - last < interval) {
        continue;
      }
      lastSyncNanos.put(link.getName(), now);
      LinkSync.Report report = linkSync.sync(link, source(link));
      syncReports.put(link.getName(), report);
    }
    lastSyncNanos.keySet().retainAll(image.mirrors().links().keySet());
  }

  @Override
  public void close() {
    closed = true;
    tasks.values().forEach(PartitionMirror::stop);
    tasks.clear();
    executor.shutdown();
    syncExecutor.shutdown();
    sources.values().forEach(SourceCluster::close);
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
