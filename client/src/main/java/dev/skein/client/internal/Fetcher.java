package dev.skein.client.internal;

import dev.skein.client.BrokerAddress;
import dev.skein.client.ConsumerConfig;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.Header;
import dev.skein.client.SkeinException;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.FetchedPartition;
import dev.skein.proto.v1.ListOffsetsRequest;
import dev.skein.proto.v1.ListOffsetsResponse;
import dev.skein.proto.v1.OffsetQuery;
import dev.skein.proto.v1.OffsetResult;
import dev.skein.proto.v1.OffsetSpec;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The consumer's fetching: positions per partition, and one Subscribe stream per leader for
 * the partitions it leads, which the broker fills as fast as the consumer makes room
 * (up to fetch.max.bytes of records buffered between polls). Used from the consumer's thread
 * only; stream messages arrive on gRPC threads and are handed over through a queue.
 */
public final class Fetcher {

  /** Approximate size of a ConsumerRecord and its header list beyond their byte arrays. */
  private static final int RECORD_OVERHEAD_BYTES = 96;

  private final ConsumerConfig config;
  private final MetadataCache metadata;
  private final BrokerChannels channels;
  /** Where each partition's stream continues (ahead of what poll has returned while records are buffered). */
  private final Map<TopicPartition, Long> positions = new LinkedHashMap<>();
  private final Set<TopicPartition> needsReset = new HashSet<>();
  /** Partitions not to subscribe again before this time (nanoTime), after an error. */
  private final Map<TopicPartition, Long> backoffUntil = new HashMap<>();
  private final Map<BrokerAddress, SubscribeStream> streams = new HashMap<>();
  private final LinkedBlockingQueue<SubscribeStream.Message> inbox = new LinkedBlockingQueue<>();
  private final ArrayDeque<ConsumerRecord> buffered = new ArrayDeque<>();
  /** What the buffered records take (see {@link #size}): streams pause at fetch.max.bytes. */
  private long bufferedBytes;
  /** Leader epoch of the last record poll returned, per partition (committed with the position). */
  private final Map<TopicPartition, Integer> lastReturnedEpoch = new HashMap<>();

  public Fetcher(ConsumerConfig config, MetadataCache metadata, BrokerChannels channels) {
    this.config = config;
    this.metadata = metadata;
    this.channels = channels;
  }

  public void assign(Collection<TopicPartition> partitions) {
    Set<TopicPartition> wanted = new HashSet<>(partitions);
    positions.keySet().retainAll(wanted);
    needsReset.retainAll(wanted);
    lastReturnedEpoch.keySet().retainAll(wanted);
    dropBuffered(r -> !wanted.contains(r.topicPartition()));
    for (TopicPartition tp : partitions) {
      metadata.topic(tp.topic());
      if (!positions.containsKey(tp)) {
        positions.put(tp, null);
        needsReset.add(tp);
      }
    }
  }

  public Set<TopicPartition> assignment() {
    return Set.copyOf(positions.keySet());
  }

  public void seek(TopicPartition tp, long offset) {
    requireAssigned(tp);
    if (offset < 0) {
      throw new IllegalArgumentException("offset must be >= 0, got " + offset);
    }
    positions.put(tp, offset);
    needsReset.remove(tp);
    dropBuffered(r -> r.topicPartition().equals(tp));
    restartStreamOf(tp);
  }

  /**
   * The offset of the next record {@link #poll} will return for the partition: the first one
   * buffered, or where the next fetch starts if nothing is buffered (Kafka's meaning).
   */
  public long position(TopicPartition tp) {
    requireAssigned(tp);
    if (needsReset.contains(tp)) {
      resetPositions(config.autoOffsetReset(), List.of(tp));
    }
    for (ConsumerRecord r : buffered) {
      if (r.topicPartition().equals(tp)) {
        return r.offset();
      }
    }
    return positions.get(tp);
  }

  /**
   * The position of every assigned partition that has one (without resetting any), with the
   * leader epoch of the last record returned (-1 if none): what a commit of the current positions sends.
   */
  public Map<TopicPartition, long[]> knownPositions() {
    Map<TopicPartition, long[]> out = new LinkedHashMap<>();
    for (Map.Entry<TopicPartition, Long> e : positions.entrySet()) {
      if (e.getValue() == null || needsReset.contains(e.getKey())) {
        continue;
      }
      long position = e.getValue();
      for (ConsumerRecord r : buffered) {
        if (r.topicPartition().equals(e.getKey())) {
          position = r.offset();
          break;
        }
      }
      out.put(e.getKey(), new long[] {position, lastReturnedEpoch.getOrDefault(e.getKey(), -1)});
    }
    return out;
  }

  /** Earliest, latest (high watermark) or first-at-or-after-a-timestamp offsets, from each partition's leader. */
  public Map<TopicPartition, OffsetResult> listOffsets(Collection<TopicPartition> partitions, OffsetSpec spec,
      long timestamp) {
    Map<TopicPartition, OffsetResult> results = new HashMap<>();
    List<TopicPartition> remaining = new ArrayList<>(partitions);
    long deadline = System.nanoTime() + config.client().requestTimeout().toNanos();
    while (!remaining.isEmpty()) {
      Map<BrokerAddress, List<TopicPartition>> byLeader = groupByLeader(remaining);
      List<TopicPartition> retry = new ArrayList<>(remaining);
      SkeinException lastError = null;
      for (Map.Entry<BrokerAddress, List<TopicPartition>> entry : byLeader.entrySet()) {
        ListOffsetsRequest.Builder request = ListOffsetsRequest.newBuilder();
        entry.getValue().forEach(tp -> request.addQueries(OffsetQuery.newBuilder().setTopic(tp.topic())
            .setPartition(tp.partition()).setSpec(spec).setTimestampMs(timestamp)));
        try {
          ListOffsetsResponse response = ConsumerServiceGrpc.newBlockingStub(channels.channel(entry.getKey()))
              .withDeadlineAfter(config.client().requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
              .listOffsets(request.build());
          for (OffsetResult r : response.getResultsList()) {
            TopicPartition tp = new TopicPartition(r.getTopic(), r.getPartition());
            if (r.hasError() && !r.getError().getReason().isEmpty()) {
              SkeinError error = SkeinError.fromDetail(r.getError());
              if (!error.retriable()) {
                throw new SkeinException(error);
              }
              lastError = new SkeinException(error);
              metadata.invalidate();
            } else {
              results.put(tp, r);
              retry.remove(tp);
            }
          }
        } catch (StatusRuntimeException e) {
          lastError = SkeinException.from(e);
          if (!lastError.retriable()) {
            throw lastError;
          }
          metadata.invalidate();
        }
      }
      remaining = retry;
      if (!remaining.isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw lastError != null ? lastError : new SkeinException(
              "no leader found for " + remaining + " within request.timeout.ms", Status.Code.UNAVAILABLE, null);
        }
        pause(config.client().retryBackoff().toMillis());
        metadata.refresh();
      }
    }
    return results;
  }

  public void resetPositions(dev.skein.client.ConsumerConfig.OffsetReset policy, Collection<TopicPartition> tps) {
    if (policy == dev.skein.client.ConsumerConfig.OffsetReset.NONE) {
      throw new SkeinException(SkeinError.of(ErrorReason.OFFSET_OUT_OF_RANGE,
          "no valid position for " + tps + " and auto.offset.reset is none"));
    }
    OffsetSpec spec = policy == dev.skein.client.ConsumerConfig.OffsetReset.EARLIEST
        ? OffsetSpec.OFFSET_SPEC_EARLIEST : OffsetSpec.OFFSET_SPEC_LATEST;
    listOffsets(tps, spec, 0).forEach((tp, r) -> {
      positions.put(tp, r.getOffset());
      needsReset.remove(tp);
      restartStreamOf(tp);
    });
  }

  public void resetToOffsets(Collection<TopicPartition> tps, OffsetSpec spec) {
    tps.forEach(this::requireAssigned);
    listOffsets(tps, spec, 0).forEach((tp, r) -> seek(tp, r.getOffset()));
  }

  /** Records fetched since the last poll, waiting up to {@code timeoutNanos} for some to arrive. */
  public List<ConsumerRecord> poll(long timeoutNanos) {
    long deadline = System.nanoTime() + timeoutNanos;
    if (!needsReset.isEmpty()) {
      resetPositions(config.autoOffsetReset(), List.copyOf(needsReset));
    }
    while (true) {
      drainInbox(0);
      // Keep the streams flowing before handing out records, so the next messages travel
      // while the application works through these.
      maintainStreams();
      if (!buffered.isEmpty()) {
        return takeBuffered();
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return List.of();
      }
      if (!backoffUntil.isEmpty() || metadata.invalidated()) {
        left = Math.min(left, config.client().retryBackoff().toNanos());
      }
      drainInbox(left);
      if (!buffered.isEmpty()) {
        maintainStreams();
        return takeBuffered();
      }
      if (!needsReset.isEmpty()) {
        resetPositions(config.autoOffsetReset(), List.copyOf(needsReset));
      }
      if (System.nanoTime() >= deadline) {
        return List.of();
      }
    }
  }

  /** Stops every stream (the consumer is closing). */
  public void close() {
    streams.values().forEach(SubscribeStream::cancel);
    streams.clear();
  }

  private List<ConsumerRecord> takeBuffered() {
    List<ConsumerRecord> out = new ArrayList<>(Math.min(buffered.size(), config.maxPollRecords()));
    while (!buffered.isEmpty() && out.size() < config.maxPollRecords()) {
      ConsumerRecord r = buffered.pollFirst();
      bufferedBytes -= size(r);
      lastReturnedEpoch.put(r.topicPartition(), r.leaderEpoch());
      out.add(r);
    }
    return out;
  }

  private void drainInbox(long waitNanos) {
    try {
      SubscribeStream.Message m = waitNanos > 0 ? inbox.poll(waitNanos, TimeUnit.NANOSECONDS) : inbox.poll();
      while (m != null) {
        handle(m);
        m = inbox.poll();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SkeinException("interrupted while polling", Status.Code.CANCELLED, e);
    }
  }

  /**
   * Makes the streams match what should be read from where: each partition with a position
   * (and not backing off after an error) is read from its leader's stream. A stream whose
   * partitions or leader changed is replaced; streams are let send more while fewer than
   * fetch.max.bytes of records are buffered.
   */
  private void maintainStreams() {
    long now = System.nanoTime();
    backoffUntil.values().removeIf(until -> until <= now);
    Map<TopicPartition, Long> readable = new LinkedHashMap<>();
    positions.forEach((tp, offset) -> {
      if (offset != null && !backoffUntil.containsKey(tp)) {
        readable.put(tp, offset);
      }
    });
    Map<BrokerAddress, List<TopicPartition>> byLeader = readable.isEmpty() ? Map.of() : groupByLeader(readable.keySet());
    streams.values().removeIf(stream -> {
      List<TopicPartition> wanted = byLeader.get(stream.broker());
      if (wanted == null || !stream.partitions().equals(Set.copyOf(wanted))) {
        stream.cancel();
        return true;
      }
      return false;
    });
    MetadataCache.Snapshot view = metadata.snapshot();
    byLeader.forEach((broker, tps) -> {
      if (!streams.containsKey(broker)) {
        Map<TopicPartition, Long> from = new LinkedHashMap<>();
        tps.forEach(tp -> from.put(tp, readable.get(tp)));
        streams.put(broker, new SubscribeStream(broker, from, view::leaderEpochOf, config, channels, inbox));
      }
    });
    if (bufferedBytes < config.fetchMaxBytes()) {
      streams.values().forEach(SubscribeStream::askForOwed);
    }
  }

  /** The partition's position changed outside its stream: messages already on the way are stale. */
  private void restartStreamOf(TopicPartition tp) {
    streams.values().removeIf(stream -> {
      if (stream.partitions().contains(tp)) {
        stream.cancel();
        return true;
      }
      return false;
    });
  }

  private void handle(SubscribeStream.Message m) {
    SubscribeStream stream = m.from();
    if (streams.get(stream.broker()) != stream) {
      return; // a stream we replaced: what it still delivers is stale
    }
    if (m.response() == null) {
      streams.remove(stream.broker());
      if (m.failure() != null) {
        SkeinException error = SkeinException.from(m.failure());
        if (!error.retriable()) {
          throw error;
        }
      }
      // The broker went away or ended the stream: find the leaders again before resubscribing.
      metadata.invalidate();
      backOff(stream.partitions());
      return;
    }
    stream.handledOne();
    boolean restart = false;
    for (FetchedPartition p : m.response().getPartitionsList()) {
      TopicPartition tp = new TopicPartition(p.getTopic(), p.getPartition());
      Long at = positions.get(tp);
      if (at == null || !stream.partitions().contains(tp)) {
        continue;
      }
      if (p.hasError() && !p.getError().getReason().isEmpty()) {
        // The broker has dropped this partition from the stream.
        handlePartitionError(tp, SkeinError.fromDetail(p.getError()));
        restart = true;
        continue;
      }
      long next = at;
      List<ConsumerRecord> records = new ArrayList<>();
      for (RecordBatch batch : p.getBatchesList()) {
        try {
          BatchDecoder.decode(tp.topic(), tp.partition(), batch, next, records);
        } catch (IOException e) {
          throw new SkeinException("cannot decode a batch of " + tp + " at offset " + batch.getBaseOffset()
              + ": " + e.getMessage(), Status.Code.DATA_LOSS, e);
        }
        next = Math.max(next, BatchDecoder.nextOffset(batch));
      }
      for (ConsumerRecord r : records) {
        buffered.addLast(r);
        bufferedBytes += size(r);
      }
      positions.put(tp, next);
    }
    if (restart) {
      streams.remove(stream.broker());
      stream.cancel();
    }
  }

  private void backOff(Collection<TopicPartition> tps) {
    long until = System.nanoTime() + config.client().retryBackoff().toNanos();
    tps.forEach(tp -> backoffUntil.put(tp, until));
  }

  private void dropBuffered(java.util.function.Predicate<ConsumerRecord> which) {
    buffered.removeIf(which);
    bufferedBytes = 0;
    buffered.forEach(r -> bufferedBytes += size(r));
  }

  /** A buffered record's approximate heap cost: its bytes plus a fixed allowance for the objects. */
  private static long size(ConsumerRecord r) {
    long bytes = RECORD_OVERHEAD_BYTES + length(r.key()) + length(r.value());
    for (Header h : r.headers()) {
      bytes += h.key().length() + length(h.value());
    }
    return bytes;
  }

  private static int length(byte[] bytes) {
    return bytes == null ? 0 : bytes.length;
  }

  private void handlePartitionError(TopicPartition tp, SkeinError error) {
    if (error.reason() == ErrorReason.OFFSET_OUT_OF_RANGE) {
      if (config.autoOffsetReset() == dev.skein.client.ConsumerConfig.OffsetReset.NONE) {
        throw new SkeinException(error);
      }
      needsReset.add(tp);
      positions.put(tp, null);
    } else if (error.retriable() || error.reason() == ErrorReason.UNKNOWN_TOPIC) {
      metadata.invalidate();
      backOff(List.of(tp));
    } else {
      throw new SkeinException(error);
    }
  }

  private Map<BrokerAddress, List<TopicPartition>> groupByLeader(Collection<TopicPartition> partitions) {
    MetadataCache.Snapshot view = metadata.snapshot();
    if (metadata.invalidated()) {
      view = refreshQuietly().orElse(view);
    }
    Map<BrokerAddress, List<TopicPartition>> byLeader = new LinkedHashMap<>();
    for (TopicPartition tp : partitions) {
      Optional<BrokerAddress> leader = view.leaderOf(tp);
      if (leader.isPresent()) {
        byLeader.computeIfAbsent(leader.get(), k -> new ArrayList<>()).add(tp);
      } else {
        metadata.invalidate();
      }
    }
    return byLeader;
  }

  private Optional<MetadataCache.Snapshot> refreshQuietly() {
    try {
      return Optional.of(metadata.refresh());
    } catch (SkeinException e) {
      return Optional.empty();
    }
  }

  private void requireAssigned(TopicPartition tp) {
    if (!positions.containsKey(tp)) {
      throw new IllegalStateException(tp + " is not assigned to this consumer");
    }
  }

  private static void pause(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
