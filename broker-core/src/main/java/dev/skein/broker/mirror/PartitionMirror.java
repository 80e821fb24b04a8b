package dev.skein.broker.mirror;

import dev.skein.broker.HostPort;
import dev.skein.broker.replica.Partition;
import dev.skein.proto.v1.ErrorDetail;
import dev.skein.rpc.ErrorReason;
import dev.skein.storage.log.BatchLayout;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies one partition of a mirror topic from the source cluster while this broker leads it in
 * one leader epoch. One {@code Fetch} at a time from our log end: a long poll on the source
 * leader that returns committed batches only (the source serves nothing above its high
 * watermark). The batches are appended at their source offsets with
 * {@link Partition#appendAsMirror}, so the next fetch starts exactly where the log ends: a
 * restart, a leader move on either side or an outage resumes with no gap and no duplicate.
 *
 * <p>Runs on the mirror executor; a task is stopped (never restarted) when the leadership,
 * the link or the topic's state changes, and a new one takes over.
 */
final class PartitionMirror {

  private static final Logger log = LoggerFactory.getLogger(PartitionMirror.class);

  static final int MAX_WAIT_MS = 500;
  static final int MAX_FETCH_BYTES = 1 << 20;
  private static final long RETRY_MS = 200;
  private static final long MAX_RETRY_MS = 2_000;

  /** What describe shows for this partition. */
  record Snapshot(String state, ErrorDetail error, long sourceLogEnd, long destinationLogEnd, long newestMirroredTs,
      long bytesCopied) {}

  private final String link;
  private final Partition partition;
  private final int leaderEpoch;
  private final SourceCluster source;
  private final ByteRateLimiter limiter;
  private final ScheduledExecutorService executor;
  private final LongConsumer producerIdSeen;
  private volatile boolean stopped;
  private volatile ErrorDetail error;
  private volatile long sourceLogEnd = -1;
  private volatile long newestMirroredTs = -1;
  private volatile long bytesCopied;
  private int failures;

  PartitionMirror(String link, Partition partition, int leaderEpoch, SourceCluster source, ByteRateLimiter limiter,
      ScheduledExecutorService executor, LongConsumer producerIdSeen) {
    this.link = link;
    this.partition = partition;
    this.leaderEpoch = leaderEpoch;
    this.source = source;
    this.limiter = limiter;
    this.executor = executor;
    this.producerIdSeen = producerIdSeen;
  }

  Partition partition() {
    return partition;
  }

  int leaderEpoch() {
    return leaderEpoch;
  }

  void start() {
    log.info("{}: mirroring from link {} in leader epoch {} from offset {}", partition.id(), link, leaderEpoch,
        partition.logEndOffset());
    executor.execute(this::fetchNext);
  }

  void stop() {
    stopped = true;
  }

  boolean stopped() {
    return stopped;
  }

  Snapshot status() {
    return new Snapshot(error == null ? "MIRRORING" : "FAILING", error, sourceLogEnd, partition.logEndOffset(),
        newestMirroredTs, bytesCopied);
  }

  private void fetchNext() {
    if (stopped) {
      return;
    }
    String topic = partition.id().topic();
    int p = partition.id().partition();
    HostPort leader = source.leaderOf(topic, p).orElse(null);
    if (leader == null) {
      source.refreshMetadata(false).whenComplete((md, e) -> {
        if (e != null) {
          fail(ErrorReason.MIRROR_SOURCE_UNAVAILABLE, e.getMessage());
        } else if (source.leaderOf(topic, p).isEmpty()) {
          boolean topicKnown = source.cachedTopic(topic).isPresent();
          fail(topicKnown ? ErrorReason.LEADER_NOT_AVAILABLE : ErrorReason.UNKNOWN_TOPIC, topicKnown
              ? "partition " + topic + "-" + p + " has no leader at the source"
              : "topic '" + topic + "' does not exist at the source");
        } else {
          executor.execute(this::fetchNext);
        }
      });
      return;
    }
    long offset = partition.logEndOffset();
    source.fetch(leader, topic, p, offset, fetchBytes(), MAX_WAIT_MS).whenComplete((bytes, e) -> {
      if (stopped) {
        return;
      }
      if (e != null) {
        Status.Code code = Status.fromThrowable(e).getCode();
        if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
          source.refreshMetadata(false);
          fail(ErrorReason.MIRROR_SOURCE_UNAVAILABLE, "source broker " + leader + ": " + e.getMessage());
        } else {
          fail(ErrorReason.UNKNOWN_SERVER_ERROR, "fetch from source broker " + leader + " failed: " + e);
        }
        return;
      }
      try {
        handle(offset, RawFetch.parse(bytes));
      } catch (RuntimeException ex) {
        log.warn("{}: mirroring from link {} failed: {}", partition.id(), link, ex.toString());
        fail(ErrorReason.UNKNOWN_SERVER_ERROR, ex.toString());
      }
    });
  }

  /** At most 1 MiB, and at most a second's share of a limited link (the first batch always comes whole). */
  private int fetchBytes() {
    long rate = limiter.rate();
    return rate <= 0 ? MAX_FETCH_BYTES : (int) Math.max(1, Math.min(MAX_FETCH_BYTES, rate));
  }

  private void handle(long offset, List<RawFetch.Fetched> response) {
    if (response.isEmpty()) {
      fail(ErrorReason.UNKNOWN_SERVER_ERROR, "the source answered a fetch without the partition");
      return;
    }
    RawFetch.Fetched fetched = response.get(0);
    if (fetched.hasError()) {
      ErrorReason reason = ErrorReason.fromName(fetched.error().getReason());
      switch (reason) {
        case NOT_LEADER, LEADER_NOT_AVAILABLE, UNKNOWN_LEADER_EPOCH, BROKER_NOT_AVAILABLE -> {
          source.refreshMetadata(true);
          fail(reason, fetched.error().getMessage());
        }
        case OFFSET_OUT_OF_RANGE -> outOfRange(offset, fetched);
        default -> {
          if (reason == ErrorReason.UNKNOWN_TOPIC || reason == ErrorReason.UNKNOWN_PARTITION) {
            source.refreshMetadata(true);
          }
          fail(reason, fetched.error().getMessage());
        }
      }
      return;
    }
    sourceLogEnd = fetched.highWatermark();
    ByteBuffer entries = fetched.entries();
    if (entries.hasRemaining()) {
      int size = entries.remaining();
      ByteBuffer stamped = stamp(entries, offset);
      if (!partition.appendAsMirror(stamped, leaderEpoch)) {
        stopped = true;
        return;
      }
      bytesCopied += size;
      long delayNanos = limiter.record(size);
      error = null;
      failures = 0;
      if (delayNanos > 0) {
        executor.schedule(this::fetchNext, delayNanos, TimeUnit.NANOSECONDS);
        return;
      }
    } else if (offset < fetched.logStartOffset()) {
      outOfRange(offset, fetched);
      return;
    }
    error = null;
    failures = 0;
    executor.execute(this::fetchNext);
  }

  private void outOfRange(long offset, RawFetch.Fetched fetched) {
    if (fetched.logStartOffset() > offset) {
      // Retention (or DeleteRecords) removed the source's records from our log end on while we
      // could not copy them: like a follower whose leader's log start moved past it, restart
      // empty at the source's log start. The records in between are lost at the destination too.
      log.warn("{}: link {}: the source's log starts at {}, after our log end {}; restarting there", partition.id(),
          link, fetched.logStartOffset(), offset);
      if (!partition.restartMirrorAt(fetched.logStartOffset(), leaderEpoch)) {
        stopped = !partition.isLeader();
      }
      executor.execute(this::fetchNext);
    } else {
      // Our log is ahead of the source's end: the source lost records (an unclean election) or
      // the topic was re-created there. Keep what we have and report it; an operator decides.
      fail(ErrorReason.OFFSET_OUT_OF_RANGE, "destination log end " + offset + " is beyond the source's high "
          + "watermark " + fetched.highWatermark() + " (the source lost records or its topic was re-created); "
          + "mirroring of this partition waits");
    }
  }

  /**
   * A copy of the source's entries with our leader epoch in each header (outside the CRC, so
   * the checksum still holds), checking that they continue our log at {@code offset}.
   */
  private ByteBuffer stamp(ByteBuffer entries, long offset) {
    ByteBuffer copy = ByteBuffer.allocate(entries.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    copy.put(entries.duplicate());
    copy.flip();
    int position = 0;
    long maxProducerId = -1;
    boolean first = true;
    while (position < copy.limit()) {
      int size = MirrorBatches.entrySize(copy, position);
      long base = copy.getLong(position + BatchLayout.BASE_OFFSET_POSITION);
      if (first && base != offset) {
        throw new IllegalStateException("the source's batch starts at offset " + base + ", not at our log end "
            + offset + " (batch boundaries differ)");
      }
      first = false;
      copy.putInt(position + BatchLayout.LEADER_EPOCH_POSITION, leaderEpoch);
      newestMirroredTs = Math.max(newestMirroredTs, copy.getLong(position + BatchLayout.MAX_TIMESTAMP_POSITION));
      maxProducerId = Math.max(maxProducerId, copy.getLong(position + BatchLayout.PRODUCER_ID_POSITION));
      position += size;
    }
    if (maxProducerId > 0) {
      producerIdSeen.accept(maxProducerId);
    }
    return copy;
  }

  private void fail(ErrorReason reason, String message) {
    if (stopped) {
      return;
    }
    error = ErrorDetail.newBuilder().setCode(reason.code().value()).setReason(reason.name())
        .setMessage(message == null ? reason.name() : message).setRetriable(true).build();
    failures++;
    if (failures == 1 || failures % 50 == 0) {
      log.info("{}: link {}: {} ({}); retrying", partition.id(), link, message, reason);
    }
    long delay = Math.min(MAX_RETRY_MS, RETRY_MS * Math.min(failures, 10));
    executor.schedule(this::fetchNext, delay, TimeUnit.MILLISECONDS);
  }
}
