package dev.skein.broker.replica;

import dev.skein.broker.HostPort;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** gRPC channels from this broker to other brokers, one per address. */
public final class PeerChannels implements AutoCloseable {

  private final Map<HostPort, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final Optional<SslContext> tls;

  /** Plaintext channels. */
  public PeerChannels() {
    this(Optional.empty());
  }

  /** Channels with this TLS context (the broker's certificate, the cluster's trust bundle), or plaintext. */
  public PeerChannels(Optional<SslContext> tls) {
    this.tls = tls;
  }

  public ManagedChannel channel(HostPort address) {
    return channels.computeIfAbsent(address, a -> secure(NettyChannelBuilder.forAddress(a.host(), a.port()))
        .maxInboundMessageSize(128 * 1024 * 1024)
        .withOption(ChannelOption.ALLOCATOR, dev.skein.broker.SkeinBroker.ALLOCATOR)
        // Replication streams stay open for the broker's life; keepalives notice a dead peer.
        .keepAliveTime(10, TimeUnit.SECONDS)
        .keepAliveTimeout(5, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(true)
        .build());
  }

  private NettyChannelBuilder secure(NettyChannelBuilder builder) {
    return tls.isPresent() ? builder.sslContext(tls.get()) : builder.usePlaintext();
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
  }
}
