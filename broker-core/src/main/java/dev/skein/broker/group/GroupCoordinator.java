package dev.skein.broker.group;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.skein.broker.BrokerException;
import dev.skein.broker.fetch.DataWatchers;
import dev.skein.broker.produce.DelayedProduce;
import dev.skein.broker.produce.RecordSetValidator;
import dev.skein.broker.replica.Partition;
import dev.skein.broker.replica.ReplicaManager;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.v1.Acks;
import dev.skein.proto.v1.Compression;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordSet;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import dev.skein.storage.log.LogReadResult;
import dev.skein.storage.log.StoredBatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Coordinates the groups whose {@code __consumer_offsets} partition this broker leads.
 *
 * <p>Each led partition is a shard: on becoming leader (in a leader epoch) the broker replays
 * the partition's log into memory, and from then on every change is written to the partition
 * with acks=all and applied in memory only once replicated. A write that fails changes nothing
 * in memory; the member gets a retriable error. When the leadership moves, the shard is
 * dropped and requests are redirected to the new leader, which rebuilds the same state from
 * its own log (every acknowledged write is in it).
 */
public final class GroupCoordinator {

  private static final Logger log = LoggerFactory.getLogger(GroupCoordinator.class);

  /** How often a member heartbeats while its assignment is still moving. */
  static final long RECONCILING_HEARTBEAT_MS = 500;
  /** How long after a silent member's session deadline the others are asked to heartbeat. */
  static final long EXPIRY_MARGIN_MS = 20;

  /** What the coordinator needs from the broker. */
  public record Wiring(ReplicaManager replicas, Supplier<ClusterImage> image, OffsetsTopic offsetsTopic,
      DataWatchers commitWatchers, Executor executor, ScheduledExecutorService timer, LongSupplier clockMs) {}

  /** A located group: its shard and runtime on this broker. */
  private record Located(Shard shard, GroupRuntime group) {}

  /** One led partition of {@code __consumer_offsets}, loaded in {@code leaderEpoch}. */
  private record Shard(int partition, int leaderEpoch, Partition log, Map<String, GroupRuntime> groups) {}

  private final int brokerId;
  private final GroupConfig config;
  private final Wiring with;
  private final Map<Integer, Shard> shards = new ConcurrentHashMap<>();

  public GroupCoordinator(int brokerId, GroupConfig config, Wiring with) {
    this.brokerId = brokerId;
    this.config = config;
    this.with = with;
  }

  public GroupConfig config() {
    return config;
  }

  public int brokerId() {
    return brokerId;
  }

  /** Starts the periodic work: loading newly led partitions, expiring sessions and old offsets. */
  public void start() {
    long period = Math.max(50, Math.min(1_000, config.sessionTimeout().toMillis() / 20));
    with.timer().scheduleWithFixedDelay(this::tick, period, period, TimeUnit.MILLISECONDS);
  }

  // ---------------------------------------------------------------------------------------
  // Finding the coordinator
  // ---------------------------------------------------------------------------------------

  /** Where a group is coordinated. */
  public record Coordinator(int brokerId, String host, int port, int partition) {}

  public CompletableFuture<Coordinator> findCoordinator(String groupId) {
    return with.offsetsTopic().ensureExists().thenApply(topic -> {
      int p = OffsetsTopic.partitionFor(groupId, topic.partitionCount());
      PartitionRegistration r = topic.partition(p).orElseThrow();
      if (!r.hasLeader()) {
        throw coordinatorNotAvailable(groupId, p);
      }
      return with.image().get().brokers().get(r.leader())
          .map(b -> new Coordinator(b.id(), b.host(), b.port(), p))
          .orElseThrow(() -> coordinatorNotAvailable(groupId, p));
    });
  }

  // ---------------------------------------------------------------------------------------
  // Membership
  // ---------------------------------------------------------------------------------------

  /** The answer to a heartbeat. */
  public record HeartbeatAnswer(String memberId, int memberEpoch, long heartbeatIntervalMs,
      Set<TopicPartition> assignment) {}

  public CompletableFuture<HeartbeatAnswer> heartbeat(String groupId, Membership.Heartbeat hb) {
    return with.offsetsTopic().ensureExists().thenCompose(topic -> {
      Located at = locate(groupId, topic, true);
      GroupRuntime group = at.group();
      if (hb.memberEpoch() != 0 && group.deadlines.containsKey(hb.memberId())) {
        // A heartbeat proves the member alive even if what it asks for cannot be written now.
        group.deadlines.put(hb.memberId(), now() + config.sessionTimeout().toMillis());
      }
      return group.run(() -> {
        requireCurrent(at.shard(), groupId);
        long now = now();
        GroupState before = group.state != null ? group.state : GroupState.empty(groupId, now);
        if (hb.memberEpoch() != 0 && group.state == null) {
          throw BrokerException.of(ErrorReason.UNKNOWN_MEMBER_ID, "group '" + groupId + "' has no members; join with "
              + "member_epoch 0", Map.of("group_id", groupId));
        }
        // Members whose session ran out go now rather than at the next housekeeping tick: with
        // the session timeout a multiple of the heartbeat interval, the survivors' heartbeats
        // come right at the expiry, and would otherwise learn of it one interval later.
        List<String> overdue = overdue(group, now, hb.memberId());
        if (group.state != null && !overdue.isEmpty()) {
          log.info("group '{}': members {} sent no heartbeat within {} ms; removing them", groupId, overdue,
              config.sessionTimeout().toMillis());
          before = Membership.remove(before, overdue, userTopics(), now);
        }
        Membership.Outcome outcome = Membership.heartbeat(before, hb, userTopics(), now,
            () -> UUID.randomUUID().toString());
        return applyState(at, group.state, outcome.state()).thenApply(ignored -> {
          MemberState m = outcome.member();
          if (m == null) {
            if (hb.memberEpoch() == Membership.LEAVE_EPOCH || !outcome.state().members().containsKey(hb.memberId())) {
              group.deadlines.remove(hb.memberId());
            }
            return new HeartbeatAnswer(hb.memberId(), hb.memberEpoch(), config.heartbeatInterval().toMillis(), Set.of());
          }
          group.deadlines.put(m.memberId(), now + config.sessionTimeout().toMillis());
          long interval = m.settled() ? config.heartbeatInterval().toMillis()
              : Math.min(config.heartbeatInterval().toMillis(), RECONCILING_HEARTBEAT_MS);
          interval = Math.min(interval, untilASilentMemberExpires(group, now, m.memberId()));
          return new HeartbeatAnswer(m.memberId(), m.memberEpoch(), interval, m.assigned());
        });
      });
    });
  }

  /** Writes {@code next} if it differs from {@code current}, then makes it the group's state. */
  private CompletableFuture<Void> applyState(Located at, GroupState current, GroupState next) {
    GroupRuntime group = at.group();
    if (next.equals(current)) {
      return CompletableFuture.completedFuture(null);
    }
    return write(at.shard(), List.of(GroupRecords.group(group.groupId, next))).thenRun(() -> {
      group.state = next;
      group.deadlines.keySet().retainAll(next.members().keySet());
    });
  }

  // ---------------------------------------------------------------------------------------
  // Offsets
  // ---------------------------------------------------------------------------------------

  /** One offset to commit. */
  public record OffsetCommit(TopicPartition partition, long offset, int leaderEpoch, String metadata) {}

  /** Commits offsets as a member (or, with an empty member id, as a client outside any membership). */
  public CompletableFuture<Void> commit(String groupId, String memberId, int memberEpoch, List<OffsetCommit> offsets) {
    return with.offsetsTopic().ensureExists().thenCompose(topic -> {
      Located at = locate(groupId, topic, true);
      GroupRuntime group = at.group();
      return group.run(() -> {
        requireCurrent(at.shard(), groupId);
        requirePartitionsExist(offsets);
        GroupState state = group.state;
        if (memberId.isEmpty()) {
          if (state != null && !state.isEmpty()) {
            throw BrokerException.of(ErrorReason.GROUP_NOT_EMPTY, "group '" + groupId + "' has " + state.members().size()
                + " members; only a member may commit, with its member id and epoch", Map.of("group_id", groupId));
          }
        } else {
          requireOwner(groupId, state, memberId, memberEpoch, offsets);
        }
        Map<TopicPartition, GroupRecords.Committed> changes = new TreeMap<>();
        List<GroupRecords.Entry> entries = new ArrayList<>();
        long now = now();
        for (OffsetCommit c : offsets) {
          GroupRecords.Committed existing = group.offsets.get(c.partition());
          if (existing != null && c.offset() < existing.offset()) {
            throw BrokerException.of(ErrorReason.OFFSET_REGRESSION, "group '" + groupId + "' has committed offset "
                + existing.offset() + " for " + c.partition() + "; a commit of " + c.offset() + " would move it "
                + "backwards (use reset-offsets with no active members to do that)",
                Map.of("group_id", groupId, "committed_offset", Long.toString(existing.offset())));
          }
          GroupRecords.Committed committed = new GroupRecords.Committed(c.offset(), c.leaderEpoch(), c.metadata(), now);
          changes.put(c.partition(), committed);
          entries.add(GroupRecords.offset(groupId, c.partition(), committed));
        }
        return write(at.shard(), entries).thenRun(() -> group.putOffsets(changes));
      });
    });
  }

  private static void requireOwner(String groupId, GroupState state, String memberId, int memberEpoch,
      List<OffsetCommit> offsets) {
    MemberState m = state == null ? null : state.members().get(memberId);
    if (m == null || m.departed()) {
      throw BrokerException.of(ErrorReason.UNKNOWN_MEMBER_ID, "group '" + groupId + "' has no member '" + memberId
          + "' (it left, or was removed after its session timed out); the commit was refused",
          Map.of("group_id", groupId));
    }
    if (memberEpoch <= 0 || memberEpoch > m.memberEpoch()) {
      throw BrokerException.of(ErrorReason.FENCED_MEMBER_EPOCH, "member '" + memberId + "' of group '" + groupId
          + "' committed with epoch " + memberEpoch + "; its current epoch is " + m.memberEpoch(),
          Map.of("group_id", groupId, "member_epoch", Integer.toString(m.memberEpoch())));
    }
    Set<TopicPartition> held = m.held();
    for (OffsetCommit c : offsets) {
      if (!held.contains(c.partition())) {
        throw BrokerException.of(ErrorReason.FENCED_MEMBER_EPOCH, "member '" + memberId + "' of group '" + groupId
            + "' does not own " + c.partition() + " (epoch " + m.memberEpoch() + "); the commit was refused",
            Map.of("group_id", groupId, "member_epoch", Integer.toString(m.memberEpoch()),
                "partition", c.partition().toString()));
      }
    }
  }

  /** Committed offsets of a group; an unknown group has none. */
  public Map<TopicPartition, GroupRecords.Committed> fetchOffsets(String groupId) {
    Optional<TopicImage> topic = with.image().get().topics().byName(OffsetsTopic.NAME);
    if (topic.isEmpty()) {
      return Map.of();
    }
    GroupRuntime group = locate(groupId, topic.get(), false).group();
    return group == null ? Map.of() : group.offsets;
  }

  /** Sets offsets, backwards too; refused while the group has members. */
  public CompletableFuture<Void> resetOffsets(String groupId, List<OffsetCommit> offsets) {
    return with.offsetsTopic().ensureExists().thenCompose(topic -> {
      Located at = locate(groupId, topic, true);
      GroupRuntime group = at.group();
      return group.run(() -> {
        requireCurrent(at.shard(), groupId);
        requireNoMembers(groupId, group.state, "reset its offsets");
        requirePartitionsExist(offsets);
        long now = now();
        Map<TopicPartition, GroupRecords.Committed> changes = new TreeMap<>();
        List<GroupRecords.Entry> entries = new ArrayList<>();
        for (OffsetCommit c : offsets) {
          GroupRecords.Committed committed = new GroupRecords.Committed(c.offset(), c.leaderEpoch(), c.metadata(), now);
          changes.put(c.partition(), committed);
          entries.add(GroupRecords.offset(groupId, c.partition(), committed));
        }
        return write(at.shard(), entries).thenRun(() -> group.putOffsets(changes));
      });
    });
  }

  // ---------------------------------------------------------------------------------------
  // Administration
  // ---------------------------------------------------------------------------------------

  /** A group as DescribeGroup shows it. */
  public record Description(String groupId, GroupState state, Map<TopicPartition, GroupRecords.Committed> offsets) {}

  public Description describe(String groupId) {
    TopicImage topic = with.image().get().topics().byName(OffsetsTopic.NAME)
        .orElseThrow(() -> unknownGroup(groupId));
    GroupRuntime group = locate(groupId, topic, false).group();
    if (group == null || !group.exists()) {
      throw unknownGroup(groupId);
    }
    return new Description(groupId, group.state, group.offsets);
  }

  /** Every group this broker coordinates now. */
  public List<Description> list() {
    List<Description> out = new ArrayList<>();
    for (Shard shard : shards.values()) {
      if (!isCurrent(shard)) {
        continue;
      }
      shard.groups().values().stream().filter(GroupRuntime::exists)
          .forEach(g -> out.add(new Description(g.groupId, g.state, g.offsets)));
    }
    out.sort((a, b) -> a.groupId().compareTo(b.groupId()));
    return out;
  }

  public CompletableFuture<Void> delete(String groupId) {
    TopicImage topic = with.image().get().topics().byName(OffsetsTopic.NAME)
        .orElseThrow(() -> unknownGroup(groupId));
    Located at = locate(groupId, topic, false);
    if (at.group() == null) {
      throw unknownGroup(groupId);
    }
    GroupRuntime group = at.group();
    return group.run(() -> {
      requireCurrent(at.shard(), groupId);
      if (!group.exists()) {
        throw unknownGroup(groupId);
      }
      requireNoMembers(groupId, group.state, "delete it");
      return deleteAll(at);
    });
  }

  /** Tombstones for the group record and every offset; then the group is gone from memory. */
  private CompletableFuture<Void> deleteAll(Located at) {
    GroupRuntime group = at.group();
    List<GroupRecords.Entry> entries = new ArrayList<>();
    entries.add(GroupRecords.group(group.groupId, null));
    group.offsets.keySet().forEach(tp -> entries.add(GroupRecords.offset(group.groupId, tp, null)));
    return write(at.shard(), entries).thenRun(() -> {
      group.state = null;
      group.offsets = Map.of();
      group.deadlines.clear();
      at.shard().groups().remove(group.groupId, group);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Periodic work
  // ---------------------------------------------------------------------------------------

  private void tick() {
    try {
      loadLedPartitions();
      long now = now();
      for (Shard shard : shards.values()) {
        if (!isCurrent(shard)) {
          shards.remove(shard.partition(), shard);
          log.info("no longer coordinating the groups of {}-{}", OffsetsTopic.NAME, shard.partition());
          continue;
        }
        for (GroupRuntime group : shard.groups().values()) {
          expireSessions(new Located(shard, group), now);
          expireOffsets(new Located(shard, group), now);
        }
      }
    } catch (RuntimeException e) {
      log.warn("group coordinator housekeeping failed", e);
    }
  }

  private void loadLedPartitions() {
    TopicImage topic = with.image().get().topics().byName(OffsetsTopic.NAME).orElse(null);
    if (topic == null) {
      return;
    }
    for (int p = 0; p < topic.partitionCount(); p++) {
      Optional<Partition> local = with.replicas().partition(OffsetsTopic.NAME, p);
      if (local.isPresent() && local.get().isLeader()) {
        shardFor(p, local.get());
      }
    }
  }

  private void expireSessions(Located at, long now) {
    GroupRuntime group = at.group();
    boolean anyExpired = group.deadlines.values().stream().anyMatch(deadline -> deadline < now);
    if (!anyExpired) {
      return;
    }
    group.run(() -> {
      GroupState state = group.state;
      long at2 = now();
      List<String> expired = overdue(group, at2, null);
      if (state == null || expired.isEmpty() || !isCurrent(at.shard())) {
        return CompletableFuture.completedFuture(null);
      }
      log.info("group '{}': members {} sent no heartbeat within {} ms; removing them", group.groupId, expired,
          config.sessionTimeout().toMillis());
      GroupState next = Membership.remove(state, expired, userTopics(), at2);
      return applyState(at, state, next).thenRun(() -> expired.forEach(group.deadlines::remove));
    }).exceptionally(failure -> {
      log.info("group '{}': removing expired members failed; will retry: {}", group.groupId, failure.toString());
      return null;
    });
  }

  /**
   * How long until the session of a member that has missed a heartbeat runs out, plus a margin,
   * or {@code Long.MAX_VALUE} if no member is that late. The others are asked to heartbeat then,
   * so that one of them removes it (see {@link #heartbeat}) and they take its partitions at once
   * instead of up to a heartbeat interval later; in steady state nothing changes.
   */
  private long untilASilentMemberExpires(GroupRuntime group, long now, String caller) {
    long interval = config.heartbeatInterval().toMillis();
    // A punctual member's deadline is never closer than a session minus an interval; a fifth of
    // an interval of slack keeps ordinary jitter from shortening anybody's interval.
    long lateIfCloser = config.sessionTimeout().toMillis() - interval - interval / 5;
    long soonest = Long.MAX_VALUE;
    for (Map.Entry<String, Long> e : group.deadlines.entrySet()) {
      long left = e.getValue() - now;
      if (!e.getKey().equals(caller) && left < lateIfCloser) {
        soonest = Math.min(soonest, Math.max(0, left) + EXPIRY_MARGIN_MS);
      }
    }
    return soonest;
  }

  /** Members of {@code group} whose session deadline is before {@code now}, except {@code caller}. */
  private static List<String> overdue(GroupRuntime group, long now, String caller) {
    List<String> overdue = new ArrayList<>();
    group.deadlines.forEach((id, deadline) -> {
      if (deadline < now && !id.equals(caller)) {
        overdue.add(id);
      }
    });
    return overdue;
  }

  private void expireOffsets(Located at, long now) {
    GroupRuntime group = at.group();
    GroupState state = group.state;
    if (!group.exists() || (state != null && !state.isEmpty())) {
      return;
    }
    long emptySince = state != null ? state.emptySinceMs()
        : group.offsets.values().stream().mapToLong(GroupRecords.Committed::commitTimestampMs).max().orElse(now);
    if (now - emptySince < config.offsetsRetention().toMillis()) {
      return;
    }
    group.run(() -> {
      if (!isCurrent(at.shard()) || (group.state != null && !group.state.isEmpty()) || !group.exists()) {
        return CompletableFuture.completedFuture(null);
      }
      log.info("group '{}': empty for longer than offsets.retention ({} ms); removing its offsets", group.groupId,
          config.offsetsRetention().toMillis());
      return deleteAll(at);
    }).exceptionally(failure -> null);
  }

  // ---------------------------------------------------------------------------------------
  // Shards: loading and writing
  // ---------------------------------------------------------------------------------------

  /** The group's shard here (loading it if needed) and its runtime (created if {@code create}). */
  private Located locate(String groupId, TopicImage topic, boolean create) {
    int p = OffsetsTopic.partitionFor(groupId, topic.partitionCount());
    Partition local = with.replicas().partition(OffsetsTopic.NAME, p).filter(Partition::isLeader).orElse(null);
    if (local == null) {
      throw notCoordinator(groupId, topic, p);
    }
    Shard shard = shardFor(p, local);
    GroupRuntime group = create ? shard.groups().computeIfAbsent(groupId, GroupRuntime::new)
        : shard.groups().get(groupId);
    return new Located(shard, group);
  }

  private synchronized Shard shardFor(int p, Partition local) {
    int epoch = local.leadership().leaderEpoch();
    Shard shard = shards.get(p);
    // The same replica too, not just the same epoch: a deleted and re-created __consumer_offsets
    // starts again at epoch 0, and the old shard's groups and log are gone with the old topic.
    if (shard != null && shard.leaderEpoch() == epoch && shard.log() == local) {
      return shard;
    }
    shard = load(p, local, epoch);
    shards.put(p, shard);
    return shard;
  }

  /** Replays the partition's whole log: as the new leader, everything in it is the group history. */
  private Shard load(int p, Partition local, int epoch) {
    long started = System.nanoTime();
    Map<String, GroupState> states = new HashMap<>();
    Map<String, Map<TopicPartition, GroupRecords.Committed>> offsets = new HashMap<>();
    long from = local.logStartOffset();
    long end = local.logEndOffset();
    int records = 0;
    while (from < end) {
      LogReadResult read;
      try {
        read = local.readLocal(from, 1 << 20, end);
      } catch (BrokerException e) {
        // The replica was removed while we read it (the topic deleted): nothing to coordinate here now.
        throw coordinatorNotAvailable(null, p);
      }
      if (read.isEmpty()) {
        break;
      }
      for (StoredBatch batch : read.batches()) {
        try {
          RecordSet set = RecordSet.parseFrom(batch.payload());
          for (Record r : set.getRecordsList()) {
            if (batch.baseOffset() + r.getOffsetDelta() >= from) {
              GroupRecords.replay(r, states, offsets);
              records++;
            }
          }
        } catch (InvalidProtocolBufferException e) {
          log.error("{}-{}: skipping an unreadable batch at offset {}", OffsetsTopic.NAME, p, batch.baseOffset(), e);
        }
      }
      from = read.nextOffset();
    }
    Map<String, GroupRuntime> groups = new ConcurrentHashMap<>();
    long deadline = now() + config.sessionTimeout().toMillis();
    Set<String> ids = new java.util.HashSet<>(states.keySet());
    ids.addAll(offsets.keySet());
    for (String id : ids) {
      GroupRuntime g = new GroupRuntime(id);
      g.state = states.get(id);
      g.offsets = java.util.Collections.unmodifiableMap(new TreeMap<>(offsets.getOrDefault(id, Map.of())));
      if (g.state != null) {
        g.state.members().keySet().forEach(m -> g.deadlines.put(m, deadline));
      }
      groups.put(id, g);
    }
    log.info("coordinating {} groups of {}-{} in leader epoch {} (replayed {} records up to offset {} in {} ms)",
        groups.size(), OffsetsTopic.NAME, p, epoch, records, end, (System.nanoTime() - started) / 1_000_000);
    return new Shard(p, epoch, local, groups);
  }

  /** Appends records with acks=all; completes once every in-sync replica has them, or fails (nothing acknowledged). */
  private CompletableFuture<Void> write(Shard shard, List<GroupRecords.Entry> entries) {
    requireCurrent(shard, null);
    long now = now();
    RecordSet set = GroupRecords.toRecordSet(entries, now);
    RecordBatch batch = RecordBatch.newBuilder().setCompression(Compression.COMPRESSION_NONE)
        .setRecords(set.toByteString()).build();
    Partition.Appended appended;
    try {
      appended = shard.log().appendAsLeader(batch, new RecordSetValidator.Summary(entries.size(), now, now),
          Acks.ACKS_ALL);
    } catch (BrokerException e) {
      return CompletableFuture.failedFuture(writeFailed(shard, e.error()));
    }
    if (shard.log().isCommitted(appended)) {
      return CompletableFuture.completedFuture(null);
    }
    return DelayedProduce.await(shard.log(), appended, with.commitWatchers(), with.executor(), with.timer(),
        config.writeTimeout().toMillis()).thenApply(error -> {
          if (error.isPresent()) {
            throw writeFailed(shard, error.get());
          }
          return null;
        });
  }

  /** Any failed write is "not acknowledged": a retriable error, a redirect if the leadership moved. */
  private BrokerException writeFailed(Shard shard, SkeinError error) {
    if (!isCurrent(shard) || error.reason() == ErrorReason.NOT_LEADER) {
      TopicImage topic = with.image().get().topics().byName(OffsetsTopic.NAME).orElse(null);
      if (topic != null) {
        return notCoordinator(null, topic, shard.partition());
      }
    }
    ErrorReason reason = error.retriable() ? error.reason() : ErrorReason.COORDINATOR_NOT_AVAILABLE;
    return BrokerException.of(reason, "the write to " + OffsetsTopic.NAME + "-" + shard.partition()
        + " was not confirmed, so nothing was acknowledged; retry (" + error.message() + ")", error.metadata());
  }

  private boolean isCurrent(Shard shard) {
    Partition.Leadership l = shard.log().leadership();
    return l.leaderId() == brokerId && l.leaderEpoch() == shard.leaderEpoch()
        && with.replicas().partition(OffsetsTopic.NAME, shard.partition()).orElse(null) == shard.log();
  }

  private void requireCurrent(Shard shard, String groupId) {
    if (!isCurrent(shard)) {
      TopicImage topic = with.image().get().topics().byName(OffsetsTopic.NAME).orElseThrow(() ->
          coordinatorNotAvailable(groupId, shard.partition()));
      throw notCoordinator(groupId, topic, shard.partition());
    }
  }

  private BrokerException notCoordinator(String groupId, TopicImage topic, int p) {
    PartitionRegistration r = topic.partition(p).orElse(null);
    String what = groupId == null ? "the groups of " + OffsetsTopic.NAME + "-" + p : "group '" + groupId + "'";
    if (r == null || !r.hasLeader() || r.leader() == brokerId) {
      // No leader, or the image names us but the partition is not open yet.
      return coordinatorNotAvailable(groupId, p);
    }
    Map<String, String> metadata = new HashMap<>();
    metadata.put("coordinator_id", Integer.toString(r.leader()));
    metadata.put("partition", Integer.toString(p));
    with.image().get().brokers().get(r.leader())
        .ifPresent(b -> metadata.put("coordinator_address", b.host() + ":" + b.port()));
    return BrokerException.of(ErrorReason.NOT_COORDINATOR, "broker " + brokerId + " does not coordinate " + what
        + "; broker " + r.leader() + " does", metadata);
  }

  private static BrokerException coordinatorNotAvailable(String groupId, int p) {
    return BrokerException.of(ErrorReason.COORDINATOR_NOT_AVAILABLE, "the coordinator of "
        + (groupId == null ? "" : "group '" + groupId + "' (") + OffsetsTopic.NAME + "-" + p
        + (groupId == null ? "" : ")") + " is not available right now; retry shortly",
        Map.of("partition", Integer.toString(p)));
  }

  private static BrokerException unknownGroup(String groupId) {
    return BrokerException.of(ErrorReason.UNKNOWN_GROUP, "group '" + groupId + "' does not exist",
        Map.of("group_id", groupId));
  }

  private static void requireNoMembers(String groupId, GroupState state, String what) {
    if (state != null && !state.isEmpty()) {
      throw BrokerException.of(ErrorReason.GROUP_NOT_EMPTY, "group '" + groupId + "' has " + state.members().size()
          + " active member(s) " + state.members().keySet() + "; stop its consumers before you " + what,
          Map.of("group_id", groupId, "members", Integer.toString(state.members().size())));
    }
  }

  private void requirePartitionsExist(List<OffsetCommit> offsets) {
    ClusterImage image = with.image().get();
    for (OffsetCommit c : offsets) {
      TopicImage t = image.topics().byName(c.partition().topic()).filter(x -> !x.internal()).orElseThrow(() ->
          BrokerException.of(ErrorReason.UNKNOWN_TOPIC, "topic '" + c.partition().topic() + "' does not exist"));
      if (t.partition(c.partition().partition()).isEmpty()) {
        throw BrokerException.of(ErrorReason.UNKNOWN_PARTITION, "topic '" + t.name() + "' has " + t.partitionCount()
            + " partitions; there is no partition " + c.partition().partition());
      }
    }
  }

  /** Partition counts of every topic a group can subscribe to. */
  private Map<String, Integer> userTopics() {
    Map<String, Integer> out = new TreeMap<>();
    with.image().get().topics().byName().values().forEach(t -> {
      if (!t.internal()) {
        out.put(t.name(), t.partitionCount());
      }
    });
    return out;
  }

  private long now() {
    return with.clockMs().getAsLong();
  }
}
