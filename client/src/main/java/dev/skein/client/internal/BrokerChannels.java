package dev.skein.client.internal;

import dev.skein.client.BrokerAddress;
import dev.skein.client.ClientSasl;
import dev.skein.client.ClientTls;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.buffer.AdaptiveByteBufAllocator;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/** One gRPC channel per broker address, shared by everything a client does. */
public final class BrokerChannels implements AutoCloseable {

  /** Fetch responses may carry up to fetch.max.bytes (50 MiB by default) plus framing. */
  private static final int MAX_INBOUND_MESSAGE_BYTES = 128 * 1024 * 1024;

  /**
   * grpc-java's pooled allocator frees a chunk once it is empty; reading large fetch responses
   * then allocated and zeroed fresh direct chunks over and over (10 % of a consumer's CPU).
   * Netty 4.2's adaptive allocator keeps chunks for reuse.
   */
  private static final AdaptiveByteBufAllocator ALLOCATOR = new AdaptiveByteBufAllocator(true, true);

  /**
   * Longest wait between connection attempts to a broker that refuses them (Kafka's
   * reconnect.backoff.max.ms). gRPC's own back-off grows to 120 s, so a client that saw a
   * cluster down for a few minutes kept failing every call at once for a minute or two after
   * the brokers were back; gRPC offers no setting for it, so the client cuts it short here.
   */
  static final long RECONNECT_BACKOFF_MAX_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Map<BrokerAddress, ManagedChannel> channels = new ConcurrentHashMap<>();
  /** When each channel's back-off was last cut short (nanoTime). */
  private final Map<BrokerAddress, Long> lastReconnect = new ConcurrentHashMap<>();
  private final SslContext tls;
  private final ClientSasl sasl;
  private volatile boolean closed;

  /** Plaintext channels. */
  public BrokerChannels() {
    this(ClientTls.PLAINTEXT);
  }

  /** Channels secured as {@code tls} says (the files are read once, here). */
  public BrokerChannels(ClientTls tls) {
    this(tls, ClientSasl.NONE);
  }

  /** Channels secured as {@code tls} says, authenticating with SCRAM on each broker as {@code sasl} says. */
  public BrokerChannels(ClientTls tls, ClientSasl sasl) {
    this.tls = tls.enabled() ? sslContext(tls) : null;
    this.sasl = sasl;
  }

  private static SslContext sslContext(ClientTls tls) {
    try {
      SslContextBuilder builder = GrpcSslContexts.forClient();
      if (tls.caLocation().isPresent()) {
        builder.trustManager(tls.caLocation().get().toFile());
      }
      if (tls.certificateLocation().isPresent()) {
        builder.keyManager(tls.certificateLocation().get().toFile(), tls.keyLocation().orElseThrow().toFile());
      }
      return builder.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot use the ssl.* files " + tls.caLocation().map(p -> p + " ").orElse("")
          + tls.certificateLocation().map(p -> p + " ").orElse("") + "(PEM certificates and a PKCS#8 key expected): "
          + e.getMessage(), e);
    }
  }

  public ManagedChannel channel(BrokerAddress address) {
    if (closed) {
      throw new IllegalStateException("client is closed");
    }
    ManagedChannel channel = channels.computeIfAbsent(address, a -> secure(
        NettyChannelBuilder.forAddress(a.host(), a.port()))
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
        .withOption(ChannelOption.ALLOCATOR, ALLOCATOR)
        // The client retries by itself, knowing what is safe to resend. gRPC's transparent
        // retries would also replay buffered requests whose batch arrays the producer has
        // since reused.
        .disableRetry()
        .intercept(sasl.enabled() ? java.util.List.of(new ScramTokens(sasl)) : java.util.List.of())
        .build());
    reconnectIfBackingOff(address, channel);
    return channel;
  }

  /** A channel waiting out gRPC's back-off reconnects now if it last did over a second ago. */
  private void reconnectIfBackingOff(BrokerAddress address, ManagedChannel channel) {
    if (channel.getState(false) != ConnectivityState.TRANSIENT_FAILURE) {
      return;
    }
    long now = System.nanoTime();
    Long last = lastReconnect.get(address);
    if ((last == null || now - last >= RECONNECT_BACKOFF_MAX_NANOS)
        && (last == null ? lastReconnect.putIfAbsent(address, now) == null : lastReconnect.replace(address, last, now))) {
      channel.resetConnectBackoff();
    }
  }

  private NettyChannelBuilder secure(NettyChannelBuilder builder) {
    return tls == null ? builder.usePlaintext() : builder.sslContext(tls);
  }

  @Override
  public void close() {
    closed = true;
    channels.values().forEach(ManagedChannel::shutdown);
    for (ManagedChannel channel : channels.values()) {
      try {
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      } catch (InterruptedException e) {
        channel.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    channels.clear();
  }
}
