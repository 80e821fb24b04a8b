package dev.skein.broker.replica;

import dev.skein.broker.BrokerException;
import dev.skein.broker.fetch.DataWatchers;
import dev.skein.broker.produce.RecordSetValidator;
import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.proto.v1.Compression;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.TimestampType;
import dev.skein.rpc.ErrorReason;
import dev.skein.storage.log.BatchAppend;
import dev.skein.storage.log.LogReadResult;
import dev.skein.storage.log.PartitionLog;
import java.util.List;
import java.util.Map;

/**
 * One partition replica on this broker: its log, and what the metadata image says about
 * its leadership. The leader appends producers' batches, advances the high watermark and
 * serves reads below it; every other broker refuses with NOT_LEADER.
 */
public final class Partition {

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

  /** Where an appended batch landed. */
  public record Appended(long baseOffset, long lastOffset, long logAppendTime, long logStartOffset) {}

  private final Id id;
  private final int localBrokerId;
  private final PartitionLog log;
  private final DataWatchers watchers;
  private final Object appendLock = new Object();
  private volatile Leadership leadership;
  private volatile TopicSettings settings;

  Partition(Id id, int localBrokerId, PartitionLog log, DataWatchers watchers, PartitionRegistration registration,
      TopicSettings settings) {
    this.id = id;
    this.localBrokerId = localBrokerId;
    this.log = log;
    this.watchers = watchers;
    this.leadership = Leadership.from(registration);
    this.settings = settings;
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
    return log;
  }

  /** Applies a new registration from metadata; leadership changes wake waiting readers. */
  void update(PartitionRegistration registration, TopicSettings newSettings) {
    Leadership before = leadership;
    synchronized (appendLock) {
      leadership = Leadership.from(registration);
      settings = newSettings;
      if (isLeader()) {
        // A single-replica leader's high watermark is its log end: everything it has is committed.
        // (Replication, next, computes it from the in-sync replicas instead.)
        log.updateHighWatermark(log.logEndOffset());
      }
    }
    if (before.leaderId() != leadership.leaderId() || before.leaderEpoch() != leadership.leaderEpoch()) {
      watchers.fire(id.key());
    }
  }

  /**
   * Appends a producer's batch as leader. The records were validated already; the batch
   * header comes from the validation summary, the producer's idempotence fields and the
   * topic's timestamp type.
   */
  public Appended appendAsLeader(RecordBatch batch, RecordSetValidator.Summary summary) {
    Appended appended;
    synchronized (appendLock) {
      Leadership current = requireLeader();
      TopicSettings topic = settings;
      boolean logAppendTime = topic.timestampType() == TimestampType.TIMESTAMP_TYPE_LOG_APPEND_TIME;
      Compression codec = batch.getCompression() == Compression.COMPRESSION_UNSPECIFIED
          ? Compression.COMPRESSION_NONE : batch.getCompression();
      boolean idempotent = batch.getProducerId() > 0;
      BatchAppend append = new BatchAppend(summary.recordCount(), summary.firstTimestamp(), summary.maxTimestamp(),
          idempotent ? batch.getProducerId() : -1, idempotent ? batch.getProducerEpoch() : -1,
          idempotent ? batch.getBaseSequence() : -1, codec.getNumber(), topic.timestampType().getNumber(), 0,
          batch.getRecords().asReadOnlyByteBuffer());
      var info = log.appendAsLeader(append, current.leaderEpoch());
      log.updateHighWatermark(log.logEndOffset());
      appended = new Appended(info.firstOffset(), info.lastOffset(), logAppendTime ? info.logAppendTimeMs() : -1,
          log.logStartOffset());
    }
    watchers.fire(id.key());
    return appended;
  }

  /** Committed batches from {@code offset}, at most {@code maxBytes} (but one whole batch if minOneBatch). */
  public LogReadResult read(long offset, int maxBytes, boolean minOneBatch) {
    requireLeader();
    return log.read(offset, maxBytes, log.highWatermark(), minOneBatch);
  }

  /** The first batch whose max timestamp is at or after {@code timestamp}, if any (leader only). */
  public java.util.Optional<dev.skein.storage.log.StoredBatch> findFirstBatchAtOrAfterTimestamp(long timestamp) {
    requireLeader();
    return log.findFirstBatchAtOrAfterTimestamp(timestamp);
  }

  public long highWatermark() {
    return log.highWatermark();
  }

  public long logStartOffset() {
    return log.logStartOffset();
  }

  public Leadership requireLeader() {
    Leadership current = leadership;
    if (current.leaderId() == localBrokerId) {
      return current;
    }
    if (current.leaderId() < 0) {
      throw BrokerException.of(ErrorReason.LEADER_NOT_AVAILABLE,
          "partition " + id + " has no leader right now", Map.of("leader_epoch", Integer.toString(current.leaderEpoch())));
    }
    throw BrokerException.of(ErrorReason.NOT_LEADER, "broker " + localBrokerId + " does not lead partition " + id
        + "; broker " + current.leaderId() + " does", Map.of("leader_id", Integer.toString(current.leaderId()),
            "leader_epoch", Integer.toString(current.leaderEpoch())));
  }
}
