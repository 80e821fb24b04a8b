package dev.skein.broker.mirror;

import dev.skein.broker.HostPort;
import dev.skein.broker.replica.PeerChannels;
import dev.skein.proto.v1.BrokerInfo;
import dev.skein.proto.v1.ClusterServiceGrpc;
import dev.skein.proto.v1.FetchRequest;
import dev.skein.proto.v1.GetMetadataRequest;
import dev.skein.proto.v1.GetMetadataResponse;
import dev.skein.proto.v1.PartitionMetadata;
import dev.skein.proto.v1.PartitionPosition;
import dev.skein.proto.v1.TopicMetadata;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The source cluster of one mirror link as a client sees it: gRPC channels to its brokers and a
 * cached copy of its metadata (who leads which partition), refreshed on demand. It speaks only
 * the public {@code skein.v1} API. Thread-safe.
 */
final class SourceCluster implements AutoCloseable {

  static final long METADATA_TIMEOUT_MS = 5_000;
  static final long FETCH_TIMEOUT_MS = 10_000;
  private static final long MIN_REFRESH_NANOS = 200_000_000L;

  private final String link;
  private final PeerChannels channels;
  /** Why no call can be made (the link's TLS settings cannot be used here), or null. */
  private final String misconfiguration;
  private final MirrorFaults faults;
  private final Executor executor;
  private volatile List<HostPort> bootstrap;
  private volatile GetMetadataResponse metadata;
  private volatile Map<Integer, HostPort> brokers = Map.of();
  private CompletableFuture<GetMetadataResponse> refreshing;
  private long lastRefreshNanos;

  /**
   * @param identity this broker's TLS identity, offered to the source if {@code security} says so
   */
  SourceCluster(String link, List<String> bootstrap, SourceTls security, Optional<X509ExtendedKeyManager> identity,
      MirrorFaults faults, Executor executor) {
    this.link = link;
    Optional<SslContext> tls = Optional.empty();
    String problem = null;
    try {
      tls = security.context(identity);
    } catch (IllegalArgumentException e) {
      // Reported as the source being unreachable, in describe, until the link is fixed.
      problem = "mirror link '" + link + "' cannot reach its source: " + e.getMessage();
    }
    this.channels = new PeerChannels(tls);
    this.misconfiguration = problem;
    this.faults = faults;
    this.executor = executor;
    setBootstrap(bootstrap);
  }

  void setBootstrap(List<String> addresses) {
    List<HostPort> parsed = new ArrayList<>();
    for (String address : addresses) {
      parsed.add(HostPort.parse(address));
    }
    this.bootstrap = List.copyOf(parsed);
  }

  List<HostPort> bootstrap() {
    return bootstrap;
  }


  /** The last metadata read, if any. */
  Optional<GetMetadataResponse> cachedMetadata() {
    return Optional.ofNullable(metadata);
  }

  Optional<TopicMetadata> cachedTopic(String topic) {
    GetMetadataResponse md = metadata;
    if (md == null) {
      return Optional.empty();
    }
    return md.getTopicsList().stream().filter(t -> t.getName().equals(topic)).findFirst();
  }

  /** The source broker leading a partition, as last known. */
  Optional<HostPort> leaderOf(String topic, int partition) {
    return cachedTopic(topic).flatMap(t -> t.getPartitionsList().stream()
        .filter(p -> p.getPartition() == partition).findFirst())
        .map(PartitionMetadata::getLeaderId)
        .map(brokers::get);
  }

  Channel channel(HostPort address) {
    return channels.channel(address);
  }

  /**
   * Reads the source's metadata for every topic, from the brokers it knows in turn. Calls made
   * while a refresh is running share it; a refresh less than 200 ms after the previous one
   * answers from the cache unless {@code force}.
   */
  synchronized CompletableFuture<GetMetadataResponse> refreshMetadata(boolean force) {
    if (refreshing != null) {
      return refreshing;
    }
    if (!force && metadata != null && System.nanoTime() - lastRefreshNanos < MIN_REFRESH_NANOS) {
      return CompletableFuture.completedFuture(metadata);
    }
    List<HostPort> candidates = new ArrayList<>(brokers.values());
    for (HostPort b : bootstrap) {
      if (!candidates.contains(b)) {
        candidates.add(b);
      }
    }
    CompletableFuture<GetMetadataResponse> result = new CompletableFuture<>();
    refreshing = result;
    tryMetadata(candidates, 0, null, result);
    return result.whenComplete((md, error) -> {
      synchronized (this) {
        refreshing = null;
        lastRefreshNanos = System.nanoTime();
        if (md != null) {
          metadata = md;
          Map<Integer, HostPort> byId = new HashMap<>();
          for (BrokerInfo b : md.getBrokersList()) {
            byId.put(b.getId(), new HostPort(b.getHost(), b.getPort()));
          }
          brokers = Map.copyOf(byId);
        }
      }
    });
  }

  private void tryMetadata(List<HostPort> candidates, int index, Throwable last,
      CompletableFuture<GetMetadataResponse> result) {
    if (index >= candidates.size()) {
      result.completeExceptionally(unavailable("no source broker of mirror link '" + link + "' answered ("
          + candidates + ")", last));
      return;
    }
    HostPort address = candidates.get(index);
    this.<GetMetadataResponse>call(address, (ch, observer) -> ClusterServiceGrpc.newStub(ch)
        .withDeadlineAfter(METADATA_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .getMetadata(GetMetadataRequest.newBuilder().setAllTopics(true).build(), observer))
        .whenComplete((md, error) -> {
          if (md != null) {
            result.complete(md);
          } else {
            tryMetadata(candidates, index + 1, error, result);
          }
        });
  }

  /** One {@code Fetch} of one partition from {@code leader}, the answer kept as bytes. */
  CompletableFuture<byte[]> fetch(HostPort leader, String topic, int partition, long offset, int maxBytes,
      int maxWaitMs) {
    FetchRequest request = FetchRequest.newBuilder()
        .addPartitions(PartitionPosition.newBuilder().setTopic(topic).setPartition(partition).setOffset(offset)
            .setMaxBytes(maxBytes))
        .setMaxBytes(maxBytes).setMinBytes(1).setMaxWaitMs(maxWaitMs)
        .build();
    return call(leader, (ch, observer) -> ClientCalls.asyncUnaryCall(
        ch.newCall(RawFetch.METHOD, CallOptions.DEFAULT.withDeadlineAfter(FETCH_TIMEOUT_MS, TimeUnit.MILLISECONDS)),
        request, observer));
  }

  /**
   * Runs a unary call on a channel to {@code address}, unless the network to the source is cut
   * (then it fails with UNAVAILABLE, and so does an answer that arrives while it is cut).
   */
  <T> CompletableFuture<T> call(HostPort address, BiConsumer<Channel, StreamObserver<T>> invoke) {
    if (misconfiguration != null) {
      return CompletableFuture.failedFuture(unavailable(misconfiguration, null));
    }
    if (faults.isCut()) {
      return CompletableFuture.failedFuture(unavailable("network to the mirror source is cut (fault injected)", null));
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      invoke.accept(channels.channel(address), new StreamObserver<T>() {
        @Override
        public void onNext(T value) {
          if (faults.isCut()) {
            result.completeExceptionally(unavailable("network to the mirror source is cut (fault injected)", null));
          } else {
            result.complete(value);
          }
        }

        @Override
        public void onError(Throwable t) {
          result.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
          if (!result.isDone()) {
            result.completeExceptionally(Status.INTERNAL.withDescription("no answer").asRuntimeException());
          }
        }
      });
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    }
    // Callers continue on the mirror executor, never on a gRPC thread.
    return result.whenCompleteAsync((v, e) -> { }, executor);
  }

  static StatusRuntimeException unavailable(String message, Throwable cause) {
    String detail = cause == null ? "" : ": " + Status.fromThrowable(cause).getCode() + " "
        + Optional.ofNullable(Status.fromThrowable(cause).getDescription()).orElse("");
    return Status.UNAVAILABLE.withDescription(message + detail).withCause(cause).asRuntimeException();
  }

  @Override
  public void close() {
    channels.close();
  }
}
