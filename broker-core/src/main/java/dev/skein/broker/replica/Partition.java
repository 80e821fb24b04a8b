package dev.skein.broker.replica;

import dev.skein.broker.BrokerException;
import dev.skein.broker.fetch.DataWatchers;
import dev.skein.broker.produce.RecordSetValidator;
import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.proto.v1.Acks;
import dev.skein.proto.v1.Compression;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.TimestampType;
import dev.skein.rpc.ByteStringBuffers;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import dev.skein.storage.log.BatchAppend;
import dev.skein.storage.log.EpochEndOffset;
import dev.skein.storage.log.FencedLeaderEpochException;
import dev.skein.storage.log.InvalidProducerEpochException;
import dev.skein.storage.log.LogClosedException;
import dev.skein.storage.log.OutOfOrderSequenceException;
import dev.skein.storage.log.UnknownProducerIdException;
import dev.skein.storage.log.LogAppendResult;
import dev.skein.storage.log.LogReadResult;
import dev.skein.storage.log.ReadBuffers;
import dev.skein.storage.log.PartitionLog;
import dev.skein.storage.log.StoredBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition replica on this broker: its log, and its part in replication.
 *
 * <p>As <b>leader</b> it appends producers' batches, tracks each follower's log end offset
 * from its fetches, proposes ISR changes to the controller (a follower that has not caught
 * up within replica.lag.time.max.ms leaves; one that has caught up rejoins), and advances the
 * high watermark to the smallest log end offset in the ISR. Consumers read only below it.
 *
 * <p>As <b>follower</b> it appends the leader's batches byte for byte and truncates its log
 * where it diverges from the leader's (by leader epoch), so it never keeps records the
 * leader's committed history does not have.
 *
 * <p>Which role it has is decided by the metadata image alone ({@link #update}). State
 * changes happen under the partition's monitor; reads of the log do not need it.
 */
public final class Partition {

  private static final Logger log = LoggerFactory.getLogger(Partition.class);

  /** Pause after the controller refused an ISR change, before proposing again. */
  private static final long ISR_RETRY_BACKOFF_MS = 500;

  /** Identity of a partition replica; the topic id tells a re-created topic from the old one. */
  public record Id(String topic, int partition, String topicId) {
    public DataWatchers.PartitionKey key() {
      return new DataWatchers.PartitionKey(topic, partition);
    }

    @Override
    public String toString() {
      return topic + "-" + partition;
    }
  }

  /** The partition's state as this broker last applied it from metadata. */
  public record Leadership(int leaderId, int leaderEpoch, int partitionEpoch, List<Integer> replicas,
      List<Integer> isr) {
    static Leadership from(PartitionRegistration r) {
      return new Leadership(r.leader(), r.leaderEpoch(), r.partitionEpoch(), r.replicas(), r.isr());
    }
  }

  /** Where an appended batch landed, and in which leader epoch. */
  public record Appended(long baseOffset, long lastOffset, long logAppendTime, long logStartOffset,
      int leaderEpoch) {}

  /**
   * What this broker knew when it stopped leading an epoch: the high watermark and how far each
   * follower had replicated, so a batch committed just before the move is still answered as
   * committed.
   */
  private record Resignation(int leaderEpoch, long highWatermark, Map<Integer, Long> followerEnds) {}

  /** Where a follower fetches from next: its log end offset and the epoch of its last batch (-1 if empty). */
  public record FetchPosition(long fetchOffset, int lastFetchedEpoch) {}

  /** The leader's answer to the validation part of a follower fetch. */
  public sealed interface FollowerFetchCheck {
    /** The follower may read from its fetch offset. */
    record Ok() implements FollowerFetchCheck {}

    /** The follower's log diverges; it must truncate to where the leader says this epoch ends. */
    record Diverging(int epoch, long endOffset) implements FollowerFetchCheck {}

    /** The fetch cannot be served. */
    record Failed(SkeinError error) implements FollowerFetchCheck {}
  }

  private final Id id;
  private final int localBrokerId;
  private final PartitionLog replicaLog;
  private final DataWatchers commitWatchers;
  private final DataWatchers logEndWatchers;
  private final IsrChannel isrChannel;
  private final ReplicationConfig replication;
  private final LongSupplier clockMs;
  private final IntPredicate usableBroker;
  /** Moves this replica's log start offset and checkpoints it durably; returns the start now. */
  private final LongUnaryOperator startAdvancer;
  private final ReplicationStats stats;

  private volatile Leadership leadership;
  private volatile TopicSettings settings;
  /** Set by {@link #markRemoved()}: the replica manager let this replica go and is deleting its log. */
  private volatile boolean removed;
  /** Leader only: followers by broker id. */
  private final Map<Integer, FollowerState> followers = new HashMap<>();
  /** Leader only: the ISR proposed to the controller and not yet seen in metadata, or null. */
  private List<Integer> pendingIsr;
  private int pendingIsrBaseEpoch;
  /** Leader only: the log end offset when this broker became leader in its current epoch. */
  private long leaderEpochStartOffset;
  /** Leader only: no new ISR proposal before this time, after the controller refused one. */
  private long nextIsrProposalMs;
  /** The last leadership this broker gave up, or null. */
  private Resignation resignation;
  /** Leader of a durable topic: the local flush whose completion re-checks the high watermark. */
  private CompletableFuture<Void> watchedFlush;

  Partition(Id id, int localBrokerId, PartitionLog log, DataWatchers commitWatchers, DataWatchers logEndWatchers,
      IsrChannel isrChannel, ReplicationConfig replication, LongSupplier clockMs, IntPredicate usableBroker,
      LongUnaryOperator startAdvancer, PartitionRegistration registration, TopicSettings settings,
      ReplicationStats stats) {
    this.id = id;
    this.localBrokerId = localBrokerId;
    this.replicaLog = log;
    this.commitWatchers = commitWatchers;
    this.logEndWatchers = logEndWatchers;
    this.isrChannel = isrChannel;
    this.replication = replication;
    this.clockMs = clockMs;
    this.usableBroker = usableBroker;
    this.startAdvancer = startAdvancer;
    this.stats = stats;
    this.settings = settings;
    this.leadership = new Leadership(PartitionRegistration.NO_LEADER, -1, -1, List.of(), List.of());
    update(registration, settings);
  }

  public Id id() {
    return id;
  }

  public Leadership leadership() {
    return leadership;
  }

  public TopicSettings settings() {
    return settings;
  }

  public boolean isLeader() {
    return leadership.leaderId() == localBrokerId;
  }

  PartitionLog log() {
    return replicaLog;
  }

  public long highWatermark() {
    return replicaLog.highWatermark();
  }

  /**
   * This replica's log as the metrics and DescribeLogDirs report it.
   *
   * @param sizeBytes bytes in its segments (indexes not counted)
   */
  public record LogSummary(long sizeBytes, int segmentCount, long logStartOffset, long logEndOffset,
      long highWatermark) {}

  /**
   * The log's figures read one after another, not under one lock: appends, rolls and retention
   * go on meanwhile, and a reader of sizes wants no pause in them. Each figure is one the log
   * had; together they may be a few appends apart. A replica removed meanwhile reports its last figures.
   */
  public LogSummary logSummary() {
    return new LogSummary(replicaLog.sizeInBytes(), replicaLog.segmentCount(), replicaLog.logStartOffset(),
        replicaLog.logEndOffset(), replicaLog.highWatermark());
  }

  /**
   * A follower as its leader sees it.
   *
   * @param lagRecords the leader's log end minus the follower's (the whole log end if it has not fetched yet)
   * @param lagMs time since the follower last had all of the leader's log
   */
  public record FollowerLag(int replicaId, long lagRecords, long lagMs) {}

  /** Leader only: each follower's lag; empty on a follower. */
  public synchronized List<FollowerLag> followerLags() {
    Leadership l = leadership;
    if (l.leaderId() != localBrokerId) {
      return List.of();
    }
    long end = replicaLog.logEndOffset();
    long now = clockMs.getAsLong();
    List<FollowerLag> out = new ArrayList<>(l.replicas().size());
    for (int replica : l.replicas()) {
      if (replica == localBrokerId) {
        continue;
      }
      FollowerState f = followers.get(replica);
      long lagRecords = f == null || f.logEndOffset < 0 ? end : Math.max(0, end - f.logEndOffset);
      long lagMs = f == null ? 0 : Math.max(0, now - f.lastCaughtUpMs);
      out.add(new FollowerLag(replica, lagRecords, lagMs));
    }
    return out;
  }

  public long logStartOffset() {
    return replicaLog.logStartOffset();
  }

  public long logEndOffset() {
    return replicaLog.logEndOffset();
  }

  // ---------------------------------------------------------------------------------------
  // Metadata
  // ---------------------------------------------------------------------------------------

  /** Applies a registration from metadata. Returns true if the leader or its epoch changed. */
  boolean update(PartitionRegistration registration, TopicSettings newSettings) {
    boolean leaderChanged;
    boolean highWatermarkMoved = false;
    synchronized (this) {
      Leadership before = leadership;
      Leadership after = Leadership.from(registration);
      leadership = after;
      settings = newSettings;
      replicaLog.updateConfig(newSettings.log());
      leaderChanged = before.leaderId() != after.leaderId() || before.leaderEpoch() != after.leaderEpoch();
      if (after.leaderId() == localBrokerId) {
        if (leaderChanged && before.leaderId() == localBrokerId) {
          // Re-elected in a new epoch: batches of the old one are judged as after any move.
          resignation = new Resignation(before.leaderEpoch(), replicaLog.highWatermark(), Map.copyOf(followerEnds()));
        }
        if (leaderChanged) {
          if (before.leaderEpoch() >= 0 && !before.isr().contains(localBrokerId)) {
            // Chosen from outside the ISR (unclean.leader.election.enable): our log may lack
            // records the previous leader had committed. Say so loudly; when an old ISR member
            // returns, it logs exactly how many records it had to drop.
            log.warn("{}: UNCLEAN leader election: broker {} leads epoch {} from outside the ISR {}; its log ends at "
                + "{} and it last knew the high watermark as {}, so any committed records after offset {} are lost",
                id, localBrokerId, after.leaderEpoch(), before.isr(), replicaLog.logEndOffset(), replicaLog.highWatermark(),
                replicaLog.logEndOffset());
          }
          becomeLeader(after);
        } else {
          if (pendingIsr != null && after.partitionEpoch() > pendingIsrBaseEpoch) {
            pendingIsr = null;
          }
          stats.onIsrChange(before.isr().size(), after.isr().size());
          syncFollowers(after, false);
        }
        if (newSettings.log().durable()) {
          watchLocalFlush(); // an unflushed tail (say, just made durable) must not hold the high watermark back
        }
        highWatermarkMoved = maybeIncrementHighWatermark();
      } else {
        if (before.leaderId() == localBrokerId && leaderChanged) {
          resignation = new Resignation(before.leaderEpoch(), replicaLog.highWatermark(), Map.copyOf(followerEnds()));
        }
        followers.clear();
        pendingIsr = null;
      }
    }
    if (leaderChanged) {
      // Waiting fetches and produces re-check leadership and fail fast if it moved.
      logEndWatchers.fire(id.key());
      commitWatchers.fire(id.key());
    } else if (highWatermarkMoved) {
      commitWatchers.fire(id.key());
    }
    return leaderChanged;
  }

  /**
   * Takes this replica out of service before the replica manager closes and deletes its log (its topic
   * was deleted, or this broker is no longer one of its replicas). Callers that found it a moment
   * earlier (a produce, a group coordinator's write) may still hold it: under the monitor, an append in
   * progress finishes first, and every later leader call is refused with a retriable error instead of
   * reaching a closed log.
   */
  void markRemoved() {
    synchronized (this) {
      removed = true;
      Leadership before = leadership;
      leadership = new Leadership(PartitionRegistration.NO_LEADER, before.leaderEpoch(), before.partitionEpoch(),
          List.of(), List.of());
      followers.clear();
      pendingIsr = null;
    }
  }

  private void becomeLeader(Leadership l) {
    // The new epoch starts at our log end: a follower asking where this epoch begins gets an
    // answer even before anything is written in it.
    leaderEpochStartOffset = replicaLog.logEndOffset();
    replicaLog.assignEpoch(l.leaderEpoch(), leaderEpochStartOffset);
    followers.clear();
    pendingIsr = null;
    syncFollowers(l, true);
    log.info("{}: became leader in epoch {} at offset {} (high watermark {}, ISR {})", id, l.leaderEpoch(),
        leaderEpochStartOffset, replicaLog.highWatermark(), l.isr());
  }

  /** Keeps one follower state per other replica; in-sync followers start as caught up now. */
  private void syncFollowers(Leadership l, boolean fresh) {
    long now = clockMs.getAsLong();
    followers.keySet().retainAll(l.replicas());
    for (int replica : l.replicas()) {
      if (replica != localBrokerId && !followers.containsKey(replica)) {
        followers.put(replica, new FollowerState(l.isr().contains(replica) || !fresh ? now : 0));
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Leader: produce
  // ---------------------------------------------------------------------------------------

  /**
   * Appends a producer's batch as leader. With acks=all the ISR must have at least
   * min.insync.replicas members first, or nothing is appended.
   */
  public Appended appendAsLeader(RecordBatch batch, RecordSetValidator.Summary summary, Acks acks) {
    Appended appended;
    boolean highWatermarkMoved;
    synchronized (this) {
      Leadership current = requireLeader();
      TopicSettings topic = settings;
      if (acks == Acks.ACKS_ALL && current.isr().size() < topic.minInsyncReplicas()) {
        throw BrokerException.of(ErrorReason.NOT_ENOUGH_REPLICAS, "partition " + id + " has " + current.isr().size()
            + " in-sync replicas " + current.isr() + ", fewer than min.insync.replicas (" + topic.minInsyncReplicas()
            + "); the batch was not appended", Map.of("isr", current.isr().toString(),
                "min_insync_replicas", Integer.toString(topic.minInsyncReplicas())));
      }
      boolean logAppendTime = topic.timestampType() == TimestampType.TIMESTAMP_TYPE_LOG_APPEND_TIME;
      Compression codec = batch.getCompression() == Compression.COMPRESSION_UNSPECIFIED
          ? Compression.COMPRESSION_NONE : batch.getCompression();
      boolean idempotent = batch.getProducerId() > 0;
      BatchAppend append = new BatchAppend(summary.recordCount(), summary.firstTimestamp(), summary.maxTimestamp(),
          idempotent ? batch.getProducerId() : -1, idempotent ? batch.getProducerEpoch() : -1,
          idempotent ? batch.getBaseSequence() : -1, codec.getNumber(), topic.timestampType().getNumber(), 0,
          ByteStringBuffers.readable(batch.getRecords()));
      LogAppendResult info;
      try {
        info = replicaLog.appendAsLeader(append, current.leaderEpoch());
      } catch (FencedLeaderEpochException e) {
        throw BrokerException.of(ErrorReason.FENCED_LEADER_EPOCH, "partition " + id + " has moved past leader epoch "
            + current.leaderEpoch() + "; the batch was not appended");
      } catch (OutOfOrderSequenceException e) {
        throw BrokerException.of(ErrorReason.OUT_OF_ORDER_SEQUENCE, id + ": " + e.getMessage());
      } catch (InvalidProducerEpochException e) {
        throw BrokerException.of(ErrorReason.INVALID_PRODUCER_EPOCH, id + ": " + e.getMessage());
      } catch (UnknownProducerIdException e) {
        throw BrokerException.of(ErrorReason.UNKNOWN_PRODUCER_ID, id + ": " + e.getMessage());
      } catch (LogClosedException e) {
        throw closedUnder(e); // the broker is stopping: a removal takes the monitor, so it cannot be that
      }
      if (topic.log().durable()) {
        watchLocalFlush();
      }
      highWatermarkMoved = maybeIncrementHighWatermark();
      appended = new Appended(info.firstOffset(), info.lastOffset(), logAppendTime ? info.logAppendTimeMs() : -1,
          replicaLog.logStartOffset(), current.leaderEpoch());
    }
    logEndWatchers.fire(id.key());
    if (highWatermarkMoved) {
      commitWatchers.fire(id.key());
    }
    return appended;
  }

  /** What became of a batch appended as leader, as far as this replica can tell now. */
  public sealed interface CommitCheck {
    /** Not committed yet, and this broker still leads in the batch's epoch: keep waiting. */
    record Pending() implements CommitCheck {}

    /** Committed, on at least min.insync.replicas replicas: acks=all is satisfied. */
    record Committed() implements CommitCheck {}

    /** Appended but not confirmed: it may be kept or lost. The error says what is known. */
    record InDoubt(SkeinError error) implements CommitCheck {}
  }

  /**
   * Checks an acks=all batch. It is confirmed when the high watermark passed it while this
   * broker led in the epoch it was appended in, and at least min.insync.replicas replicas had
   * it then. Once leadership moves, a batch not confirmed before the move is in doubt: the new
   * leader may or may not have it. A batch committed while the ISR had shrunk below
   * min.insync.replicas is also in doubt: it is readable, but held by fewer replicas than
   * acks=all promised, so losing them loses it.
   */
  public synchronized CommitCheck checkCommit(Appended appended) {
    Leadership l = leadership;
    int minIsr = settings.minInsyncReplicas();
    if (l.leaderId() == localBrokerId && l.leaderEpoch() == appended.leaderEpoch()) {
      if (replicaLog.highWatermark() <= appended.lastOffset()) {
        return new CommitCheck.Pending();
      }
      return committedOrInDoubt(appended, replicasWith(appended.lastOffset(), followerEnds()), minIsr, l);
    }
    Resignation r = resignation;
    if (r != null && r.leaderEpoch() == appended.leaderEpoch() && r.highWatermark() > appended.lastOffset()) {
      // Committed before leadership moved: the new leader came from that ISR and has it.
      return committedOrInDoubt(appended, replicasWith(appended.lastOffset(), r.followerEnds()), minIsr, l);
    }
    Map<String, String> metadata = inDoubtMetadata(appended);
    if (l.leaderId() >= 0) {
      metadata.put("leader_id", Integer.toString(l.leaderId()));
    }
    metadata.put("leader_epoch", Integer.toString(l.leaderEpoch()));
    return new CommitCheck.InDoubt(SkeinError.of(ErrorReason.OUTCOME_UNKNOWN, "the batch was appended to " + id
        + " at offset " + appended.baseOffset() + " in leader epoch " + appended.leaderEpoch() + ", but leadership "
        + "moved (now " + (l.leaderId() >= 0 ? "broker " + l.leaderId() : "no leader") + ", epoch " + l.leaderEpoch()
        + ") before it was committed; it may or may not have been kept", metadata));
  }

  private CommitCheck committedOrInDoubt(Appended appended, int replicasWithBatch, int minIsr, Leadership l) {
    if (replicasWithBatch >= minIsr) {
      return new CommitCheck.Committed();
    }
    Map<String, String> metadata = inDoubtMetadata(appended);
    metadata.put("isr", l.isr().toString());
    metadata.put("replicas_with_batch", Integer.toString(replicasWithBatch));
    metadata.put("min_insync_replicas", Integer.toString(minIsr));
    return new CommitCheck.InDoubt(SkeinError.of(ErrorReason.OUTCOME_UNKNOWN, "the batch was appended to " + id
        + " at offset " + appended.baseOffset() + " and is readable, but the ISR shrank to " + l.isr()
        + " and only " + replicasWithBatch + " replica(s) had it when it was committed, fewer than "
        + "min.insync.replicas (" + minIsr + "); it is lost if those replicas fail", metadata));
  }

  private static Map<String, String> inDoubtMetadata(Appended appended) {
    Map<String, String> metadata = new HashMap<>();
    metadata.put("appended_offset", Long.toString(appended.baseOffset()));
    metadata.put("appended_leader_epoch", Integer.toString(appended.leaderEpoch()));
    return metadata;
  }

  /** This replica (the leader) plus every follower known to have the log up to and including {@code lastOffset}. */
  private static int replicasWith(long lastOffset, Map<Integer, Long> followerEnds) {
    int count = 1;
    for (long end : followerEnds.values()) {
      if (end > lastOffset) {
        count++;
      }
    }
    return count;
  }

  /** How far each follower has the log: for a durable topic, on disk. */
  private Map<Integer, Long> followerEnds() {
    boolean durable = settings.log().durable();
    Map<Integer, Long> ends = new HashMap<>();
    followers.forEach((replica, state) -> ends.put(replica, durable ? state.flushedOffset : state.logEndOffset));
    return ends;
  }

  /** Whether an acks=all batch can be answered at once, without waiting for followers. */
  public boolean isCommitted(Appended appended) {
    // The common case needs no lock: followers have not fetched it yet.
    return replicaLog.highWatermark() > appended.lastOffset() && checkCommit(appended) instanceof CommitCheck.Committed;
  }

  // ---------------------------------------------------------------------------------------
  // Leader: delete records
  // ---------------------------------------------------------------------------------------

  /**
   * Moves the log start offset to {@code beforeOffset} (Kafka's DeleteRecords) as leader, durably;
   * -1 means the high watermark. Followers move theirs when they next fetch. Refused, with
   * nothing changed, above the high watermark: uncommitted records may still be truncated away.
   *
   * @return the offset the in-sync replicas must reach (see {@link #lowWatermark()})
   */
  public long deleteRecordsBefore(long beforeOffset) {
    long target;
    synchronized (this) {
      requireLeader();
      long highWatermark = replicaLog.highWatermark();
      target = beforeOffset == -1 ? highWatermark : beforeOffset;
      if (target < 0 || target > highWatermark) {
        throw BrokerException.of(ErrorReason.OFFSET_OUT_OF_RANGE, "cannot delete the records of " + id + " before "
            + "offset " + beforeOffset + ": it must be -1 (the high watermark) or between 0 and the high watermark "
            + highWatermark, Map.of("log_start_offset", Long.toString(replicaLog.logStartOffset()),
                "high_watermark", Long.toString(highWatermark)));
      }
      startAdvancer.applyAsLong(target);
    }
    // Readers waiting below the new start get OFFSET_OUT_OF_RANGE; followers learn it at once.
    logEndWatchers.fire(id.key());
    commitWatchers.fire(id.key());
    return target;
  }

  /**
   * The smallest log start offset among this leader and its in-sync followers (Kafka's low
   * watermark); -1 for a follower whose start is not known yet. Leader only.
   */
  public synchronized long lowWatermark() {
    Leadership l = requireLeader();
    long low = replicaLog.logStartOffset();
    for (int replica : l.isr()) {
      if (replica == localBrokerId) {
        continue;
      }
      FollowerState f = followers.get(replica);
      low = Math.min(low, f == null ? -1 : f.logStartOffset);
    }
    return low;
  }

  // ---------------------------------------------------------------------------------------
  // Leader: followers
  // ---------------------------------------------------------------------------------------

  /**
   * Checks a follower's fetch and records its position. Fences fetches from another leader
   * epoch, and detects divergence: if the follower's last epoch ends earlier in our log than
   * where the follower stands, it must truncate first (nothing is sent to it until then).
   */
  public FollowerFetchCheck onFollowerFetch(int replicaId, int currentLeaderEpoch, long fetchOffset,
      int lastFetchedEpoch, long followerLogStart, long followerFlushedOffset) {
    boolean highWatermarkMoved;
    boolean followerStartMoved;
    synchronized (this) {
      Leadership l = leadership;
      if (l.leaderId() != localBrokerId) {
        return new FollowerFetchCheck.Failed(notLeader(l).error());
      }
      Optional<SkeinError> mismatch = epochMismatch(currentLeaderEpoch, l.leaderEpoch());
      if (mismatch.isPresent()) {
        return new FollowerFetchCheck.Failed(mismatch.get());
      }
      FollowerState follower = followers.get(replicaId);
      if (follower == null) {
        return new FollowerFetchCheck.Failed(SkeinError.of(ErrorReason.INVALID_REQUEST, "broker " + replicaId
            + " is not a replica of " + id));
      }
      if (lastFetchedEpoch >= 0) {
        EpochEndOffset ours = replicaLog.endOffsetForEpoch(lastFetchedEpoch);
        if (ours.epoch() < lastFetchedEpoch || ours.endOffset() < fetchOffset) {
          return new FollowerFetchCheck.Diverging(ours.epoch(), ours.endOffset());
        }
      }
      long logEnd = replicaLog.logEndOffset();
      if (fetchOffset > logEnd || fetchOffset < replicaLog.logStartOffset()) {
        return new FollowerFetchCheck.Failed(SkeinError.of(ErrorReason.OFFSET_OUT_OF_RANGE, "follower fetch offset "
            + fetchOffset + " of " + id + " is outside the leader's log [" + replicaLog.logStartOffset() + ", " + logEnd
            + "]", Map.of("log_start_offset", Long.toString(replicaLog.logStartOffset()),
                "log_end_offset", Long.toString(logEnd))));
      }
      follower.onFetch(fetchOffset, logEnd, clockMs.getAsLong());
      // Its log agrees with ours up to fetchOffset (checked above), so what it fsynced below that is ours.
      follower.flushedOffset = Math.min(followerFlushedOffset, fetchOffset);
      followerStartMoved = followerLogStart > follower.logStartOffset;
      follower.logStartOffset = Math.max(follower.logStartOffset, followerLogStart);
      maybeExpandIsr(replicaId, follower);
      highWatermarkMoved = maybeIncrementHighWatermark();
    }
    if (highWatermarkMoved || followerStartMoved) {
      // Waiting acks=all produces, and waiting record deletions, re-check.
      commitWatchers.fire(id.key());
    }
    return new FollowerFetchCheck.Ok();
  }

  /** Batches for a follower from {@code fetchOffset} up to the log end (not just the high watermark). */
  public LogReadResult readForFollower(long fetchOffset, int maxBytes) {
    requireLeader();
    try {
      return replicaLog.read(fetchOffset, maxBytes, Long.MAX_VALUE, true);
    } catch (LogClosedException e) {
      throw closedUnder(e);
    }
  }

  /** Proposes removing followers that have not caught up within replica.lag.time.max.ms. */
  synchronized void maybeShrinkIsr() {
    Leadership l = leadership;
    long now = clockMs.getAsLong();
    if (l.leaderId() != localBrokerId || pendingIsr != null || now < nextIsrProposalMs) {
      return;
    }
    long lagMax = replication.replicaLagTimeMax().toMillis();
    List<Integer> kept = new ArrayList<>();
    List<Integer> lagging = new ArrayList<>();
    for (int replica : l.isr()) {
      FollowerState f = followers.get(replica);
      if (replica == localBrokerId || (f != null && now - f.lastCaughtUpMs <= lagMax)) {
        kept.add(replica);
      } else {
        lagging.add(replica);
      }
    }
    if (!lagging.isEmpty() && kept.contains(localBrokerId)) {
      log.info("{}: followers {} have not caught up for {} ms; shrinking the ISR from {} to {}", id, lagging,
          lagMax, l.isr(), kept);
      proposeIsr(l, kept);
    }
  }

  private void maybeExpandIsr(int replicaId, FollowerState follower) {
    Leadership l = leadership;
    if (pendingIsr != null || l.isr().contains(replicaId) || !l.replicas().contains(replicaId)
        || clockMs.getAsLong() < nextIsrProposalMs || !usableBroker.test(replicaId)) {
      return;
    }
    if (follower.logEndOffset >= replicaLog.highWatermark() && follower.logEndOffset >= leaderEpochStartOffset) {
      List<Integer> expanded = new ArrayList<>();
      for (int replica : l.replicas()) {
        if (l.isr().contains(replica) || replica == replicaId) {
          expanded.add(replica);
        }
      }
      log.info("{}: follower {} caught up (offset {}); expanding the ISR from {} to {}", id, replicaId,
          follower.logEndOffset, l.isr(), expanded);
      proposeIsr(l, expanded);
    }
  }

  private void proposeIsr(Leadership l, List<Integer> newIsr) {
    List<Integer> proposal = List.copyOf(newIsr);
    pendingIsr = proposal;
    pendingIsrBaseEpoch = l.partitionEpoch();
    isrChannel.alterPartition(id.topicId(), id.partition(), l.leaderEpoch(), l.partitionEpoch(), proposal)
        .whenComplete((update, failure) -> {
          synchronized (this) {
            if (pendingIsr != proposal) {
              return;
            }
            if (failure != null) {
              log.info("{}: the controller did not take ISR {}: {}", id, proposal, failure.getMessage());
              pendingIsr = null;
              nextIsrProposalMs = clockMs.getAsLong() + ISR_RETRY_BACKOFF_MS;
            } else if (leadership.partitionEpoch() >= update.partitionEpoch()) {
              pendingIsr = null;
            }
            // Otherwise keep it pending until metadata shows the new partition epoch.
          }
        });
  }

  /**
   * Moves the high watermark to the smallest log end offset among the maximal ISR (the
   * committed ISR plus any member being added), never backwards. A follower whose position
   * is unknown since this broker became leader holds it back. For a durable topic it is the
   * smallest fsynced offset instead, this leader's included: a batch is committed only once
   * every in-sync replica has it on disk, so acks=all survives every replica losing power.
   */
  private boolean maybeIncrementHighWatermark() {
    Leadership l = leadership;
    Set<Integer> maximalIsr = new LinkedHashSet<>(l.isr());
    if (pendingIsr != null) {
      maximalIsr.addAll(pendingIsr);
    }
    boolean durable = settings.log().durable();
    long candidate = durable ? replicaLog.flushedOffset() : replicaLog.logEndOffset();
    for (int replica : maximalIsr) {
      if (replica == localBrokerId) {
        continue;
      }
      FollowerState f = followers.get(replica);
      if (f == null || f.logEndOffset < 0) {
        return false;
      }
      candidate = Math.min(candidate, durable ? f.flushedOffset : f.logEndOffset);
    }
    if (candidate > replicaLog.highWatermark()) {
      replicaLog.updateHighWatermark(candidate);
      return true;
    }
    return false;
  }

  /**
   * Leader of a durable topic: asks for the log to be fsynced up to its end and re-checks the
   * high watermark when that is done. Appends in the same flush round share one future, and
   * so one check. Runs under the partition's monitor; the check runs on the flusher thread.
   */
  private void watchLocalFlush() {
    CompletableFuture<Void> flush = replicaLog.requestFlush();
    if (flush != watchedFlush) {
      watchedFlush = flush;
      flush.whenComplete((ignored, failure) -> onLocalFlush());
    }
  }

  private void onLocalFlush() {
    if (Thread.holdsLock(this)) {
      // Completed before watchLocalFlush could register: its caller checks the high watermark
      // next and fires outside the monitor, as everything that fires watchers must.
      return;
    }
    boolean highWatermarkMoved;
    synchronized (this) {
      if (leadership.leaderId() != localBrokerId) {
        return;
      }
      highWatermarkMoved = maybeIncrementHighWatermark();
    }
    if (highWatermarkMoved) {
      commitWatchers.fire(id.key());
    }
  }

  // ---------------------------------------------------------------------------------------
  // Follower
  // ---------------------------------------------------------------------------------------

  /** Whether this replica follows the leader of {@code leaderEpoch}. */
  public boolean isFollowerIn(int leaderEpoch) {
    Leadership l = leadership;
    return l.leaderId() != localBrokerId && l.leaderId() >= 0 && l.leaderEpoch() == leaderEpoch;
  }

  public synchronized FetchPosition fetchPosition() {
    // The epoch of the last batch we have, not the cache's latest epoch: an epoch we led
    // without writing anything must not make the leader think our data is from it.
    return new FetchPosition(replicaLog.logEndOffset(), replicaLog.lastBatchEpoch());
  }

  /**
   * Appends the leader's batches byte for byte and follows its high watermark. Returns false
   * (appending nothing) if this replica no longer follows the leader of {@code leaderEpoch}.
   */
  public boolean appendAsFollower(ByteBuffer entries, long leaderHighWatermark, int leaderEpoch) {
    synchronized (this) {
      if (!isFollowerIn(leaderEpoch)) {
        return false;
      }
      if (entries.hasRemaining()) {
        replicaLog.appendAsFollower(entries);
      }
      long highWatermark = Math.min(leaderHighWatermark, replicaLog.logEndOffset());
      if (highWatermark > replicaLog.highWatermark()) {
        replicaLog.updateHighWatermark(highWatermark);
      }
    }
    return true;
  }

  /**
   * Follows the leader's log start offset (retention or DeleteRecords on the leader): records
   * below it go here too, up to what this replica has. Returns false if it no longer follows
   * the leader of {@code leaderEpoch}.
   */
  public boolean followLeaderLogStart(long leaderLogStart, int leaderEpoch) {
    synchronized (this) {
      if (!isFollowerIn(leaderEpoch)) {
        return false;
      }
      long target = Math.min(leaderLogStart, replicaLog.logEndOffset());
      if (target > replicaLog.logStartOffset()) {
        startAdvancer.applyAsLong(target);
      }
    }
    return true;
  }

  /**
   * Empties this replica and restarts it at the leader's log start, when everything it has is
   * below that start (it was away while the leader's records there were deleted).
   */
  public void restartAtLeaderLogStart(long leaderLogStart, int leaderEpoch) {
    synchronized (this) {
      if (isFollowerIn(leaderEpoch) && replicaLog.logEndOffset() < leaderLogStart) {
        log.info("{}: log end {} is below the leader's log start {}; restarting the log there", id,
            replicaLog.logEndOffset(), leaderLogStart);
        // The new start is durable without a checkpoint: the only segment now begins there.
        replicaLog.truncateFullyAndStartAt(leaderLogStart);
      }
    }
  }

  /**
   * Truncates where the leader says our logs diverge: to the end of the diverging epoch in
   * the leader's log, or the end of the same epoch in ours if that is earlier. Records
   * removed here were never committed (KIP-101).
   */
  public void truncateForDivergence(int divergingEpoch, long divergingEndOffset, int leaderEpoch) {
    synchronized (this) {
      if (!isFollowerIn(leaderEpoch)) {
        return;
      }
      long target;
      if (divergingEpoch < 0 || divergingEndOffset < 0) {
        // The leader has no epoch as old as ours: keep only what we know was committed.
        target = replicaLog.highWatermark();
      } else {
        EpochEndOffset ours = replicaLog.endOffsetForEpoch(divergingEpoch);
        target = ours.endOffset() < 0 ? replicaLog.logStartOffset() : Math.min(divergingEndOffset, ours.endOffset());
      }
      truncateTo(Math.max(target, replicaLog.logStartOffset()), "its log diverges from leader " + leadership.leaderId()
          + "'s after epoch " + divergingEpoch);
    }
  }

  /** Truncates to the leader's log end when the leader has less than we do and no epoch history to compare. */
  public void truncateToLeaderEnd(long leaderLogEnd, int leaderEpoch) {
    synchronized (this) {
      if (isFollowerIn(leaderEpoch) && leaderLogEnd < replicaLog.logEndOffset()) {
        truncateTo(leaderLogEnd, "the leader's log ends at " + leaderLogEnd);
      }
    }
  }

  private void truncateTo(long offset, String why) {
    long before = replicaLog.logEndOffset();
    // Truncating at or past the end still drops epoch entries there, which a diverging answer may require.
    long after = replicaLog.truncateTo(Math.min(offset, before));
    if (after < before) {
      log.warn("{}: truncated {} records ({} -> {}) because {}", id, before - after, before, after, why);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Leader of a mirror topic: batches copied from another cluster
  // ---------------------------------------------------------------------------------------

  /**
   * Appends batches a mirror link read from its source cluster, at their source offsets, as
   * leader in {@code leaderEpoch}. The entries are stored byte for byte as a follower stores
   * its leader's, except that their leader epoch field (outside the CRC) must already carry
   * {@code leaderEpoch}: epochs belong to this cluster's replication, and a follower here
   * checks its history against ours. The offsets must continue our log end.
   *
   * @return false (appending nothing) if this replica no longer leads in {@code leaderEpoch}
   */
  public boolean appendAsMirror(ByteBuffer entries, int leaderEpoch) {
    boolean highWatermarkMoved;
    synchronized (this) {
      Leadership current = leadership;
      if (current.leaderId() != localBrokerId || current.leaderEpoch() != leaderEpoch) {
        return false;
      }
      if (!entries.hasRemaining()) {
        return true;
      }
      replicaLog.appendAsFollower(entries);
      if (settings.log().durable()) {
        watchLocalFlush();
      }
      highWatermarkMoved = maybeIncrementHighWatermark();
    }
    logEndWatchers.fire(id.key());
    if (highWatermarkMoved) {
      commitWatchers.fire(id.key());
    }
    return true;
  }

  /**
   * Empties this leader's log and restarts it at {@code offset}, when a mirror link finds that
   * its source deleted everything from our log end on (retention ran while the link was
   * down). Followers then restart at our new log start as they do after any leader's.
   */
  public boolean restartMirrorAt(long offset, int leaderEpoch) {
    synchronized (this) {
      Leadership current = leadership;
      if (current.leaderId() != localBrokerId || current.leaderEpoch() != leaderEpoch
          || offset <= replicaLog.logEndOffset()) {
        return false;
      }
      log.warn("{}: mirror source's log starts at {}, after our log end {}; restarting the log there", id, offset,
          replicaLog.logEndOffset());
      replicaLog.truncateFullyAndStartAt(offset);
      replicaLog.assignEpoch(leaderEpoch, offset);
      leaderEpochStartOffset = offset;
    }
    logEndWatchers.fire(id.key());
    commitWatchers.fire(id.key());
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Consumers
  // ---------------------------------------------------------------------------------------

  /** Committed batches from {@code offset}, at most {@code maxBytes} (but one whole batch if minOneBatch). */
  public LogReadResult read(long offset, int maxBytes, boolean minOneBatch) {
    return read(offset, maxBytes, minOneBatch, ReadBuffers.FRESH);
  }

  /** {@link #read(long, int, boolean)} into buffers from {@code buffers}. */
  public LogReadResult read(long offset, int maxBytes, boolean minOneBatch, ReadBuffers buffers) {
    requireLeader();
    try {
      return replicaLog.read(offset, maxBytes, replicaLog.highWatermark(), minOneBatch, buffers);
    } catch (LogClosedException e) {
      throw closedUnder(e);
    }
  }

  /** The first committed batch whose max timestamp is at or after {@code timestamp}, if any (leader only). */
  public Optional<StoredBatch> findFirstBatchAtOrAfterTimestamp(long timestamp) {
    requireLeader();
    try {
      return replicaLog.findFirstBatchAtOrAfterTimestamp(timestamp);
    } catch (LogClosedException e) {
      throw closedUnder(e);
    }
  }

  /**
   * This replica's own batches from {@code from} below {@code upTo}, whatever its role: for
   * checking that replicas agree, not for serving clients.
   */
  public LogReadResult readLocal(long from, int maxBytes, long upTo) {
    try {
      return replicaLog.read(from, maxBytes, upTo, true);
    } catch (LogClosedException e) {
      throw closedUnder(e);
    }
  }

  /**
   * What a caller that passed {@link #requireLeader()} gets when the log closed under it: the replica
   * manager removed this replica meanwhile ({@link #markRemoved()}), or the broker is stopping. Either
   * way the client should look again, not see an internal error.
   */
  private BrokerException closedUnder(LogClosedException e) {
    if (removed) {
      return notLeader(leadership);
    }
    return BrokerException.of(ErrorReason.LEADER_NOT_AVAILABLE, "the log of partition " + id + " on broker "
        + localBrokerId + " is closed (the broker is stopping); retry with another broker (" + e.getMessage() + ")");
  }

  public Leadership requireLeader() {
    Leadership current = leadership;
    if (current.leaderId() == localBrokerId) {
      return current;
    }
    throw notLeader(current);
  }

  /**
   * Like {@link #requireLeader()}, and the reader must name our leader epoch (Kafka's KIP-320).
   * A newer epoch than ours means this broker was deposed and has not heard of it yet (cut
   * off from the quorum): it must not answer for the partition, least of all with an
   * out-of-range error for offsets its successor holds, which would make a consumer reset.
   */
  public Leadership requireLeader(int readerLeaderEpoch) {
    Leadership current = requireLeader();
    Optional<SkeinError> mismatch = epochMismatch(readerLeaderEpoch, current.leaderEpoch());
    if (mismatch.isPresent()) {
      throw new BrokerException(mismatch.get());
    }
    return current;
  }

  private Optional<SkeinError> epochMismatch(int asked, int ours) {
    Map<String, String> epochs = Map.of("leader_epoch", Integer.toString(ours));
    if (asked < ours) {
      return Optional.of(SkeinError.of(ErrorReason.FENCED_LEADER_EPOCH, "fetch for " + id + " names leader epoch "
          + asked + " but the current one is " + ours, epochs));
    }
    if (asked > ours) {
      return Optional.of(SkeinError.of(ErrorReason.UNKNOWN_LEADER_EPOCH, "fetch for " + id + " names leader epoch "
          + asked + " but broker " + localBrokerId + " knows only " + ours, epochs));
    }
    return Optional.empty();
  }

  private BrokerException notLeader(Leadership current) {
    if (removed) {
      return BrokerException.of(ErrorReason.LEADER_NOT_AVAILABLE, "broker " + localBrokerId + " no longer hosts "
          + "partition " + id + " (its topic was deleted or the partition moved a moment ago); refresh the metadata "
          + "and retry");
    }
    if (current.leaderId() < 0) {
      return BrokerException.of(ErrorReason.LEADER_NOT_AVAILABLE, "partition " + id + " has no leader right now",
          Map.of("leader_epoch", Integer.toString(current.leaderEpoch())));
    }
    return BrokerException.of(ErrorReason.NOT_LEADER, "broker " + localBrokerId + " does not lead partition " + id
        + "; broker " + current.leaderId() + " does", Map.of("leader_id", Integer.toString(current.leaderId()),
            "leader_epoch", Integer.toString(current.leaderEpoch())));
  }
}
