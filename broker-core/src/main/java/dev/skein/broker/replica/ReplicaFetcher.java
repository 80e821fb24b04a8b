package dev.skein.broker.replica;

import dev.skein.broker.HostPort;
import dev.skein.proto.internal.v1.ReplicaFetchPartition;
import dev.skein.proto.internal.v1.ReplicaFetchRequest;
import dev.skein.proto.internal.v1.ReplicaFetchResponse;
import dev.skein.proto.internal.v1.ReplicaFetchedPartition;
import dev.skein.proto.internal.v1.ReplicaPartitionRef;
import dev.skein.proto.internal.v1.ReplicationServiceGrpc;
import dev.skein.rpc.AliasingMarshaller;
import dev.skein.rpc.ByteStringBuffers;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import dev.skein.storage.log.LogException;
import dev.skein.storage.log.LogManager;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches every partition this broker follows from one leader broker, over one gRPC stream.
 * One request is in flight at a time; the next goes out only after the previous response is
 * appended, so the leader never buffers more than one response for this follower.
 *
 * <p>All state is confined to one thread (the fetcher's executor); gRPC callbacks only hand
 * work over to it.
 */
final class ReplicaFetcher {

  /** Replicate, with the leader's batch bytes left as views of each response until appended. */
  private static final MethodDescriptor<ReplicaFetchRequest, ReplicaFetchResponse> REPLICATE =
      AliasingMarshaller.aliasingResponses(ReplicationServiceGrpc.getReplicateMethod(), ReplicaFetchResponse.parser());

  private static final Logger log = LoggerFactory.getLogger(ReplicaFetcher.class);

  /** A partition this fetcher follows, and until when it is paused after an error. */
  private record Followed(Partition partition, int leaderEpoch, long pausedUntilNanos) {}

  /** A partition's fetch state as the leader's session for this stream last heard it. */
  private record SessionPartition(String topic, int partition, String topicId, int leaderEpoch, long fetchOffset,
      int lastFetchedEpoch, long logStartOffset, long flushedOffset) {

    ReplicaFetchPartition toRequest(int maxBytes) {
      return ReplicaFetchPartition.newBuilder()
          .setTopic(topic).setPartition(partition).setTopicId(topicId)
          .setCurrentLeaderEpoch(leaderEpoch)
          .setFetchOffset(fetchOffset)
          .setLastFetchedEpoch(lastFetchedEpoch)
          .setLogStartOffset(logStartOffset)
          .setFlushedOffset(flushedOffset)
          .setMaxBytes(maxBytes)
          .build();
    }
  }

  private final int localBrokerId;
  private final int leaderId;
  private final HostPort leaderAddress;
  private final PeerChannels channels;
  private final ScheduledExecutorService executor;
  private final ReplicationConfig config;
  private final LongSupplier brokerEpoch;
  private final ReplicationFaults faults;
  private final IntConsumer reportUnreachable;
  private final Supplier<LogManager.SyncScope> groupStateSyncs;
  private final Map<String, Followed> partitions = new HashMap<>();
  /**
   * What the leader's fetch session holds for each partition, by key: the last request sent
   * on the current stream changed only the partitions that differ from it (KIP-227).
   */
  private Map<String, SessionPartition> leaderSession = Map.of();
  /**
   * Partitions whose part of a response was not fully applied here (paused after an error, no
   * longer followed, refused): the leader counts what it sent them as known, so the next request
   * drops them from its session and, if still fetched, adds them back as new.
   */
  private final Set<String> resetKeys = new HashSet<>();
  /** The leader on this stream keeps fetch sessions (said so in a response). */
  private boolean leaderKeepsSessions;
  private ClientCallStreamObserver<ReplicaFetchRequest> stream;
  private long correlationId;
  private boolean inFlight;
  /** Waiting for durable partitions' appends to be fsynced before the next fetch reports them. */
  private boolean flushing;
  private boolean wakeScheduled;
  /** A response was dropped (fault injection): the next request is a full one. */
  private boolean sessionLost;
  private boolean closed;

  ReplicaFetcher(int localBrokerId, int leaderId, HostPort leaderAddress, PeerChannels channels,
      ScheduledExecutorService executor, ReplicationConfig config, LongSupplier brokerEpoch,
      ReplicationFaults faults, IntConsumer reportUnreachable, Supplier<LogManager.SyncScope> groupStateSyncs) {
    this.localBrokerId = localBrokerId;
    this.leaderId = leaderId;
    this.leaderAddress = leaderAddress;
    this.channels = channels;
    this.executor = executor;
    this.config = config;
    this.brokerEpoch = brokerEpoch;
    this.faults = faults;
    this.reportUnreachable = reportUnreachable;
    this.groupStateSyncs = groupStateSyncs;
  }

  HostPort leaderAddress() {
    return leaderAddress;
  }

  void follow(Partition partition, int leaderEpoch) {
    executor.execute(() -> {
      String key = partition.id().toString();
      Followed current = partitions.get(key);
      if (current == null || current.partition() != partition || current.leaderEpoch() != leaderEpoch) {
        partitions.put(key, new Followed(partition, leaderEpoch, 0));
      }
      sendIfIdle();
    });
  }

  void unfollow(Partition partition) {
    executor.execute(() -> partitions.computeIfPresent(partition.id().toString(),
        (key, followed) -> followed.partition() == partition ? null : followed));
  }

  void close() {
    executor.execute(() -> {
      closed = true;
      partitions.clear();
      if (stream != null) {
        stream.cancel("fetcher closed", null);
        stream = null;
      }
    });
  }

  private void sendIfIdle() {
    if (closed || inFlight || flushing) {
      return;
    }
    if (faults.isBlocked(leaderId)) {
      scheduleWake(config.fetchBackoff().toNanos());
      return;
    }
    long now = System.nanoTime();
    // A new stream is a new session on the leader: its first request lists every partition.
    boolean full = stream == null || sessionLost || !leaderKeepsSessions;
    ReplicaFetchRequest.Builder request = ReplicaFetchRequest.newBuilder()
        .setReplicaId(localBrokerId)
        .setBrokerEpoch(brokerEpoch.getAsLong())
        .setMaxWaitMs((int) config.fetchMaxWait().toMillis())
        .setMinBytes(1)
        .setMaxBytes(config.fetchResponseMaxBytes())
        .setCorrelationId(++correlationId)
        .setIncremental(!full);
    Map<String, SessionPartition> session = new HashMap<>(Math.max(16, partitions.size() * 2));
    long nextWake = Long.MAX_VALUE;
    for (Map.Entry<String, Followed> e : partitions.entrySet()) {
      Followed f = e.getValue();
      if (f.pausedUntilNanos() > now) {
        nextWake = Math.min(nextWake, f.pausedUntilNanos());
        continue;
      }
      Partition p = f.partition();
      Partition.FetchPosition position = p.fetchPosition();
      SessionPartition state = new SessionPartition(p.id().topic(), p.id().partition(), p.id().topicId(),
          f.leaderEpoch(), position.fetchOffset(), position.lastFetchedEpoch(), p.logStartOffset(),
          p.log().flushedOffset());
      session.put(e.getKey(), state);
      if (full || resetKeys.contains(e.getKey()) || !state.equals(leaderSession.get(e.getKey()))) {
        request.addPartitions(state.toRequest(config.fetchMaxBytes()));
      }
    }
    if (session.isEmpty()) {
      if (nextWake != Long.MAX_VALUE) {
        scheduleWake(nextWake - now);
      }
      return;
    }
    if (!full) {
      for (Map.Entry<String, SessionPartition> e : leaderSession.entrySet()) {
        if (!session.containsKey(e.getKey()) || resetKeys.contains(e.getKey())) {
          request.addRemoved(ReplicaPartitionRef.newBuilder()
              .setTopic(e.getValue().topic()).setPartition(e.getValue().partition()));
        }
      }
    }
    if (stream == null) {
      stream = openStream();
      leaderKeepsSessions = false;
    }
    leaderSession = session;
    resetKeys.clear();
    sessionLost = false;
    inFlight = true;
    stream.onNext(request.build());
  }

  private void scheduleWake(long delayNanos) {
    if (wakeScheduled) {
      return;
    }
    wakeScheduled = true;
    executor.schedule(() -> {
      wakeScheduled = false;
      sendIfIdle();
    }, Math.max(1, delayNanos), TimeUnit.NANOSECONDS);
  }

  private ClientCallStreamObserver<ReplicaFetchRequest> openStream() {
    @SuppressWarnings("unchecked")
    ClientCallStreamObserver<ReplicaFetchRequest>[] opened = new ClientCallStreamObserver[1];
    ClientCalls.asyncBidiStreamingCall(channels.channel(leaderAddress).newCall(REPLICATE, CallOptions.DEFAULT),
        new ClientResponseObserver<ReplicaFetchRequest, ReplicaFetchResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<ReplicaFetchRequest> requestStream) {
            opened[0] = requestStream;
          }

          @Override
          public void onNext(ReplicaFetchResponse response) {
            executor.execute(() -> onResponse(opened[0], response));
          }

          @Override
          public void onError(Throwable t) {
            executor.execute(() -> onStreamFailed(opened[0], t));
          }

          @Override
          public void onCompleted() {
            executor.execute(() -> onStreamFailed(opened[0], null));
          }
        });
    return opened[0];
  }

  private void onResponse(StreamObserver<ReplicaFetchRequest> from, ReplicaFetchResponse response) {
    if (from != stream || closed) {
      return;
    }
    inFlight = false;
    leaderKeepsSessions |= response.getSessions();
    if (faults.isBlocked(leaderId)) {
      // A cut link loses what was on the wire too. The leader's session counts this response as
      // told, so the next request starts the session again.
      leaderSession = Map.of();
      sessionLost = true;
      scheduleWake(config.fetchBackoff().toNanos());
      return;
    }
    // A response can bring thousands of partitions their first batch of a new leader epoch (a
    // topic created, leaders moved), each a leader-epoch cache write: one fsync of the state
    // store covers them all, before the next fetch reports the new log ends.
    try (LogManager.SyncScope grouped = groupStateSyncs.get()) {
      for (ReplicaFetchedPartition fetched : response.getPartitionsList()) {
        String key = fetched.getTopic() + "-" + fetched.getPartition();
        Followed f = partitions.get(key);
        if (f == null) {
          resetKeys.add(key);
          continue;
        }
        try {
          handle(f, fetched);
        } catch (LogException | IllegalStateException e) {
          log.warn("replica of {} from leader {} failed: {}", f.partition().id(), leaderId, e.getMessage());
          pause(f);
        }
      }
    }
    awaitDurableFlushesThenFetch();
  }

  /**
   * For durable topics the leader counts a batch as committed only once this follower reports it
   * fsynced, so the next fetch waits for the group flusher to cover what this response appended
   * (one fsync per log for all of it, shared with every other log flushed in the same round).
   * Other topics fetch again at once.
   */
  private void awaitDurableFlushesThenFetch() {
    List<CompletableFuture<Void>> flushes = new ArrayList<>();
    for (Followed f : partitions.values()) {
      Partition p = f.partition();
      if (p.settings().log().durable() && p.log().flushedOffset() < p.logEndOffset()) {
        flushes.add(p.log().requestFlush());
      }
    }
    if (flushes.isEmpty()) {
      sendIfIdle();
      return;
    }
    flushing = true;
    CompletableFuture.allOf(flushes.toArray(CompletableFuture[]::new))
        .whenComplete((ignored, failure) -> executor.execute(() -> {
          flushing = false;
          sendIfIdle();
        }));
  }

  private void handle(Followed f, ReplicaFetchedPartition fetched) {
    Partition p = f.partition();
    if (fetched.hasDivergingEpoch()) {
      p.truncateForDivergence(fetched.getDivergingEpoch().getEpoch(), fetched.getDivergingEpoch().getEndOffset(),
          f.leaderEpoch());
      return;
    }
    if (fetched.hasError() && !fetched.getError().getReason().isEmpty()) {
      SkeinError error = SkeinError.fromDetail(fetched.getError());
      if (error.reason() == ErrorReason.OFFSET_OUT_OF_RANGE) {
        if (p.logEndOffset() < fetched.getLogStartOffset()) {
          // Everything we have is below the leader's log start (deleted there while we were away).
          p.restartAtLeaderLogStart(fetched.getLogStartOffset(), f.leaderEpoch());
        } else {
          // Without a diverging epoch this means the leader's log is shorter than ours (an unclean election).
          p.truncateToLeaderEnd(fetched.getLogEndOffset(), f.leaderEpoch());
        }
      } else {
        log.debug("fetch of {} from leader {} refused: {}", p.id(), leaderId, error);
      }
      pause(f);
      return;
    }
    if (!p.appendAsFollower(ByteStringBuffers.readable(fetched.getEntries()), fetched.getHighWatermark(),
        f.leaderEpoch()) || !p.followLeaderLogStart(fetched.getLogStartOffset(), f.leaderEpoch())) {
      partitions.remove(p.id().toString(), f);
      resetKeys.add(p.id().toString());
    }
  }

  private void pause(Followed f) {
    resetKeys.add(f.partition().id().toString());
    partitions.computeIfPresent(f.partition().id().toString(), (k, current) -> current == f
        ? new Followed(f.partition(), f.leaderEpoch(), System.nanoTime() + config.fetchBackoff().toNanos())
        : current);
  }

  private void onStreamFailed(StreamObserver<ReplicaFetchRequest> failed, Throwable error) {
    if (failed != stream) {
      return;
    }
    stream = null;
    inFlight = false;
    if (!closed) {
      log.debug("replication stream to leader {} at {} ended: {}", leaderId, leaderAddress,
          error == null ? "completed" : error.toString());
      if (error != null && Status.fromThrowable(error).getCode() == Status.Code.UNAVAILABLE) {
        // The leader's process or host may be gone: tell the controller, which fences it
        // early if its heartbeats have stopped too.
        reportUnreachable.accept(leaderId);
      }
      scheduleWake(config.fetchBackoff().toNanos());
    }
  }
}
