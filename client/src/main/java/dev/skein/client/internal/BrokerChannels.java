package dev.skein.client.internal;

import dev.skein.client.BrokerAddress;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.buffer.AdaptiveByteBufAllocator;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

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

  private final Map<BrokerAddress, ManagedChannel> channels = new ConcurrentHashMap<>();
  private volatile boolean closed;

  public ManagedChannel channel(BrokerAddress address) {
    if (closed) {
      throw new IllegalStateException("client is closed");
    }
    return channels.computeIfAbsent(address, a -> NettyChannelBuilder.forAddress(a.host(), a.port())
        .usePlaintext()
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
        .withOption(ChannelOption.ALLOCATOR, ALLOCATOR)
        // The client retries by itself, knowing what is safe to resend. gRPC's transparent
        // retries would also replay buffered requests whose batch arrays the producer has
        // since reused.
        .disableRetry()
        .build());
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
