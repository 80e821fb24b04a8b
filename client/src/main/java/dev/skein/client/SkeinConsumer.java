package dev.skein.client;

import dev.skein.client.internal.BrokerChannels;
import dev.skein.client.internal.Fetcher;
import dev.skein.client.internal.GroupCalls;
import dev.skein.client.internal.GroupMember;
import dev.skein.client.internal.MetadataCache;
import dev.skein.proto.v1.CommitOffsetsRequest;
import dev.skein.proto.v1.CommittedOffset;
import dev.skein.proto.v1.FetchOffsetsRequest;
import dev.skein.proto.v1.OffsetCommit;
import dev.skein.proto.v1.OffsetResult;
import dev.skein.proto.v1.OffsetSpec;
import dev.skein.proto.v1.TopicPartitions;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads records from assigned partitions, each from its leader, in offset order. Only
 * committed records (below the high watermark) are ever returned. Not thread-safe: use one
 * consumer per thread, as with Kafka's.
 *
 * <p>Partitions come either from {@link #assign} or, with a {@code group.id}, from
 * {@link #subscribe}: the group's coordinator then assigns partitions, a background thread
 * heartbeats, and {@link #poll} applies assignment changes (calling the rebalance listener on
 * the polling thread), commits automatically with {@code enable.auto.commit}, and starts new
 * partitions at their committed offsets ({@code auto.offset.reset} when there is none).
 *
 * <pre>{@code
 * try (SkeinConsumer consumer = SkeinConsumer.create(ConsumerConfig.of("localhost:9092"))) {
 *   consumer.assign(List.of(new TopicPartition("orders", 0)));
 *   consumer.seekToBeginning(consumer.assignment());
 *   for (ConsumerRecord r : consumer.poll(Duration.ofSeconds(1))) { ... }
 * }
 * }</pre>
 */
public final class SkeinConsumer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SkeinConsumer.class);
  /** Longest a poll blocks before it looks at the group's assignment again. */
  private static final long POLL_SLICE_NANOS = 50_000_000L;

  private final ConsumerConfig config;
  private final BrokerChannels channels;
  private final MetadataCache metadata;
  private final Fetcher fetcher;
  private final GroupCalls group;
  private GroupMember member;
  private ConsumerRebalanceListener listener = ConsumerRebalanceListener.NONE;
  private long nextAutoCommitNanos;
  private ExecutorService committer;

  private SkeinConsumer(ConsumerConfig config) {
    this.config = config;
    this.channels = new BrokerChannels(config.client().tls(), config.client().sasl());
    this.metadata = new MetadataCache(config.client(), channels);
    this.fetcher = new Fetcher(config, metadata, channels);
    this.group = config.groupId().isEmpty() ? null
        : new GroupCalls(config.groupId(), config.client(), channels, metadata);
  }

  public static SkeinConsumer create(ConsumerConfig config) {
    return new SkeinConsumer(config);
  }

  /** Reads exactly these partitions from now on; positions of partitions kept are kept. */
  public void assign(Collection<TopicPartition> partitions) {
    if (member != null) {
      throw new IllegalStateException("this consumer is subscribed; unsubscribe() before assign()");
    }
    fetcher.assign(partitions);
  }

  /** Joins the group ({@code group.id}) subscribed to these topics; the coordinator assigns their partitions. */
  public void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
    if (topics.isEmpty()) {
      throw new IllegalArgumentException("subscribe to at least one topic");
    }
    join(List.copyOf(topics), "", listener);
  }

  public void subscribe(Collection<String> topics) {
    subscribe(topics, ConsumerRebalanceListener.NONE);
  }

  /**
   * Joins the group subscribed to every topic whose whole name matches {@code pattern},
   * including topics created later (internal topics never match). The broker evaluates the
   * pattern with java.util.regex.
   */
  public void subscribe(Pattern pattern, ConsumerRebalanceListener listener) {
    join(List.of(), pattern.pattern(), listener);
  }

  private void join(List<String> topics, String regex, ConsumerRebalanceListener rebalanceListener) {
    if (group == null) {
      throw new IllegalStateException("subscribe needs a group.id");
    }
    if (member != null) {
      unsubscribe();
    }
    fetcher.assign(List.of());
    this.listener = rebalanceListener == null ? ConsumerRebalanceListener.NONE : rebalanceListener;
    this.member = new GroupMember(config, group, topics, regex);
    this.nextAutoCommitNanos = System.nanoTime() + config.autoCommitInterval().toNanos();
    member.start();
  }

  /** Leaves the group: commits (with enable.auto.commit), revokes every partition and stops heartbeating. */
  public void unsubscribe() {
    if (member == null) {
      return;
    }
    try {
      Set<TopicPartition> owned = member.owned();
      if (!owned.isEmpty()) {
        if (config.enableAutoCommit()) {
          commitQuietly(positionsOf(owned));
        }
        listener.onPartitionsRevoked(owned);
      }
    } finally {
      member.leave();
      member.close();
      member = null;
      fetcher.assign(List.of());
    }
  }

  /** The group member id given by the coordinator; empty when not subscribed or not yet joined. */
  public String memberId() {
    return member == null ? "" : member.memberId();
  }

  // ---------------------------------------------------------------------------------------
  // Commits
  // ---------------------------------------------------------------------------------------

  /** Commits the current position of every assigned partition (what poll has returned so far), and waits. */
  public void commitSync() {
    commitSync(positionsOf(fetcher.assignment()));
  }

  /**
   * Commits these offsets and waits until the coordinator has written them to every in-sync
   * replica of its log. Throws if refused (for example UNKNOWN_MEMBER_ID after this member was
   * removed for missing its session timeout: the partitions are someone else's now).
   */
  public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
    if (offsets.isEmpty()) {
      return;
    }
    CommitOffsetsRequest request = commitRequest(offsets);
    requireGroup().call(stub -> stub.commitOffsets(request), config.client().requestTimeout().toMillis());
  }

  /** Commits the current positions in the background; failures are logged. */
  public CompletableFuture<Void> commitAsync() {
    return commitAsync(positionsOf(fetcher.assignment()), null);
  }

  /**
   * Commits in the background. The callback (which may be null) runs on the commit thread with
   * the offsets and the failure, or null on success.
   */
  public CompletableFuture<Void> commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets,
      BiConsumer<Map<TopicPartition, OffsetAndMetadata>, Throwable> callback) {
    requireGroup();
    if (offsets.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    CommitOffsetsRequest request = commitRequest(offsets);
    if (committer == null) {
      committer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "skein-commit-" + config.groupId());
        t.setDaemon(true);
        return t;
      });
    }
    return CompletableFuture.runAsync(() -> group.call(stub -> stub.commitOffsets(request),
        config.client().requestTimeout().toMillis()), committer).whenComplete((ignored, failure) -> {
          Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
              ? failure.getCause() : failure;
          if (cause != null) {
            log.info("group '{}': commit of {} failed: {}", config.groupId(), offsets.keySet(), cause.getMessage());
          }
          if (callback != null) {
            callback.accept(offsets, cause);
          }
        });
  }

  /** The group's committed offsets of these partitions; partitions without one are left out. */
  public Map<TopicPartition, OffsetAndMetadata> committed(Collection<TopicPartition> partitions) {
    Map<String, TopicPartitions.Builder> byTopic = new TreeMap<>();
    for (TopicPartition tp : new TreeSet<>(partitions)) {
      byTopic.computeIfAbsent(tp.topic(), t -> TopicPartitions.newBuilder().setTopic(t)).addPartitions(tp.partition());
    }
    FetchOffsetsRequest.Builder request = FetchOffsetsRequest.newBuilder().setGroupId(config.groupId());
    byTopic.values().forEach(request::addPartitions);
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    for (CommittedOffset c : requireGroup().call(stub -> stub.fetchOffsets(request.build()),
        config.client().requestTimeout().toMillis()).getOffsetsList()) {
      if (c.getOffset() >= 0) {
        out.put(new TopicPartition(c.getTopic(), c.getPartition()),
            new OffsetAndMetadata(c.getOffset(), c.getLeaderEpoch(), c.getMetadata()));
      }
    }
    return out;
  }

  private CommitOffsetsRequest commitRequest(Map<TopicPartition, OffsetAndMetadata> offsets) {
    CommitOffsetsRequest.Builder request = CommitOffsetsRequest.newBuilder().setGroupId(config.groupId());
    if (member != null) {
      request.setMemberId(member.memberId()).setMemberEpoch(member.commitEpoch());
    } else {
      request.setMemberEpoch(-1);
    }
    offsets.forEach((tp, o) -> request.addOffsets(OffsetCommit.newBuilder().setTopic(tp.topic())
        .setPartition(tp.partition()).setOffset(o.offset()).setLeaderEpoch(o.leaderEpoch()).setMetadata(o.metadata())));
    return request.build();
  }

  private Map<TopicPartition, OffsetAndMetadata> positionsOf(Collection<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> out = new LinkedHashMap<>();
    fetcher.knownPositions().forEach((tp, p) -> {
      if (partitions.contains(tp)) {
        out.put(tp, new OffsetAndMetadata(p[0], (int) p[1], ""));
      }
    });
    return out;
  }

  private void commitQuietly(Map<TopicPartition, OffsetAndMetadata> offsets) {
    try {
      commitSync(offsets);
    } catch (SkeinException e) {
      log.info("group '{}': commit of {} failed: {}", config.groupId(), offsets.keySet(), e.getMessage());
    }
  }

  private GroupCalls requireGroup() {
    if (group == null) {
      throw new IllegalStateException("committing needs a group.id");
    }
    return group;
  }

  /**
   * Applies the coordinator's latest assignment: revoke first (commit, tell the listener, stop
   * reading), then take on new partitions from their committed offsets; then report back, so
   * the revoked partitions can move on at once.
   */
  private void reconcile() {
    if (member == null) {
      return;
    }
    if (member.fenced()) {
      Set<TopicPartition> lost = member.owned();
      fetcher.assign(List.of());
      if (!lost.isEmpty()) {
        listener.onPartitionsLost(lost);
      }
      member.rejoin();
      return;
    }
    GroupMember.Assignment next = member.pending();
    if (next == null) {
      return;
    }
    Set<TopicPartition> owned = member.owned();
    Set<TopicPartition> revoked = new TreeSet<>(owned);
    revoked.removeAll(next.partitions());
    Set<TopicPartition> added = new TreeSet<>(next.partitions());
    added.removeAll(owned);
    if (!revoked.isEmpty()) {
      if (config.enableAutoCommit()) {
        commitQuietly(positionsOf(revoked));
      }
      listener.onPartitionsRevoked(revoked);
    }
    fetcher.assign(next.partitions());
    if (!added.isEmpty()) {
      Map<TopicPartition, OffsetAndMetadata> committed = committed(added);
      committed.forEach((tp, o) -> fetcher.seek(tp, o.offset()));
      listener.onPartitionsAssigned(added);
    }
    member.applied(next.epoch(), next.partitions());
    if (!revoked.isEmpty()) {
      member.heartbeatNow();
    }
  }

  private void maybeAutoCommit() {
    if (member == null || !config.enableAutoCommit() || System.nanoTime() < nextAutoCommitNanos) {
      return;
    }
    nextAutoCommitNanos = System.nanoTime() + config.autoCommitInterval().toNanos();
    Map<TopicPartition, OffsetAndMetadata> positions = positionsOf(member.owned());
    if (!positions.isEmpty()) {
      commitAsync(positions, null);
    }
  }

  /** Every partition of a topic, from metadata. */
  public List<TopicPartition> partitionsFor(String topic) {
    return metadata.topic(topic).partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }

  public Set<TopicPartition> assignment() {
    return fetcher.assignment();
  }

  public void seek(TopicPartition partition, long offset) {
    fetcher.seek(partition, offset);
  }

  public void seekToBeginning(Collection<TopicPartition> partitions) {
    fetcher.resetToOffsets(partitions, OffsetSpec.OFFSET_SPEC_EARLIEST);
  }

  /** Moves to the high watermark: only records produced from now on will be read. */
  public void seekToEnd(Collection<TopicPartition> partitions) {
    fetcher.resetToOffsets(partitions, OffsetSpec.OFFSET_SPEC_LATEST);
  }

  /**
   * Moves each partition to its first record with a timestamp at or after {@code timestamp},
   * or to its end when there is none.
   */
  public void seekToTimestamp(Collection<TopicPartition> partitions, long timestamp) {
    Map<TopicPartition, Long> found = offsetsForTimes(partitions, timestamp);
    Map<TopicPartition, OffsetResult> ends = fetcher.listOffsets(partitions, OffsetSpec.OFFSET_SPEC_LATEST, 0);
    for (TopicPartition tp : partitions) {
      Long offset = found.get(tp);
      fetcher.seek(tp, offset != null ? offset : ends.get(tp).getOffset());
    }
  }

  /** The first offset at or after {@code timestamp} per partition; partitions with none are left out. */
  public Map<TopicPartition, Long> offsetsForTimes(Collection<TopicPartition> partitions, long timestamp) {
    Map<TopicPartition, Long> out = new HashMap<>();
    fetcher.listOffsets(partitions, OffsetSpec.OFFSET_SPEC_TIMESTAMP, timestamp).forEach((tp, r) -> {
      if (r.getOffset() >= 0) {
        out.put(tp, r.getOffset());
      }
    });
    return out;
  }

  public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions) {
    Map<TopicPartition, Long> out = new HashMap<>();
    fetcher.listOffsets(partitions, OffsetSpec.OFFSET_SPEC_EARLIEST, 0).forEach((tp, r) -> out.put(tp, r.getOffset()));
    return out;
  }

  /** High watermarks: the offset the next committed record of each partition will get. */
  public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
    Map<TopicPartition, Long> out = new HashMap<>();
    fetcher.listOffsets(partitions, OffsetSpec.OFFSET_SPEC_LATEST, 0).forEach((tp, r) -> out.put(tp, r.getOffset()));
    return out;
  }

  /** The offset of the next record this consumer will return for the partition. */
  public long position(TopicPartition partition) {
    return fetcher.position(partition);
  }

  /**
   * Records available now, or the first ones to arrive within {@code timeout}; empty if none
   * did. A subscribed consumer also applies assignment changes and auto-commits here.
   */
  public List<ConsumerRecord> poll(Duration timeout) {
    if (member == null) {
      return fetcher.poll(timeout.toNanos());
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      // Commit what earlier polls returned before taking more (Kafka's auto-commit timing).
      maybeAutoCommit();
      reconcile();
      long left = deadline - System.nanoTime();
      List<ConsumerRecord> records = fetcher.poll(Math.max(0, Math.min(left, POLL_SLICE_NANOS)));
      if (!records.isEmpty() || System.nanoTime() >= deadline) {
        return records;
      }
    }
  }

  /**
   * Stops at once as if the process had died: no commit, no leave, no more heartbeats. The
   * coordinator reassigns its partitions once its session times out. For failure drills and
   * tests; applications call {@link #close}.
   */
  public void abandon() {
    if (member != null) {
      member.close();
      member = null;
    }
    if (committer != null) {
      committer.shutdownNow();
    }
    fetcher.close();
    channels.close();
  }

  /** Leaves the group if subscribed (committing first with enable.auto.commit), then closes. */
  @Override
  public void close() {
    try {
      unsubscribe();
    } finally {
      if (committer != null) {
        committer.shutdown();
      }
      fetcher.close();
      channels.close();
    }
  }
}
