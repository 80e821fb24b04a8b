package dev.skein.broker.limits;

import dev.skein.broker.auth.PrincipalMappingRules;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/** Puts a broker's {@link ServerLimits} on its gRPC server. */
public final class ServerHardening {

  private ServerHardening() {}

  /**
   * Sets the transport limits and the connection quotas on {@code builder}, and returns the guard
   * every service must be wrapped in ({@link CallGuard#guard}) for the per-call limits.
   */
  public static CallGuard apply(NettyServerBuilder builder, ServerLimits limits, ScheduledExecutorService timer) {
    return apply(builder, limits, timer, PrincipalMappingRules.parse(PrincipalMappingRules.DEFAULT), p -> false,
        token -> Optional.empty());
  }

  /**
   * As above, with the connection quota per principal naming principals by {@code rules} (or by
   * the SCRAM token a call carries, through {@code tokenPrincipal}) and never counting those
   * {@code brokerPrincipal} accepts (see {@link ConnectionQuotas}).
   */
  public static CallGuard apply(NettyServerBuilder builder, ServerLimits limits, ScheduledExecutorService timer,
      PrincipalMappingRules rules, Predicate<String> brokerPrincipal, Function<String, Optional<String>> tokenPrincipal) {
    ConnectionQuotas quotas = new ConnectionQuotas(limits, rules, brokerPrincipal, tokenPrincipal);
    builder.maxInboundMessageSize(limits.transportMessageLimit())
        .maxInboundMetadataSize(limits.maxInboundMetadataBytes())
        .maxConcurrentCallsPerConnection(limits.maxConcurrentCallsPerConnection())
        .maxConnectionIdle(limits.maxConnectionIdle().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTime(limits.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(limits.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .permitKeepAliveTime(limits.permitKeepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(limits.permitKeepAliveWithoutCalls())
        .handshakeTimeout(limits.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .addTransportFilter(quotas)
        // A server-wide interceptor: quotas hold for every service, health and reflection included.
        .intercept(quotas);
    if (!limits.maxConnectionAge().isZero()) {
      builder.maxConnectionAge(limits.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
          .maxConnectionAgeGrace(ServerLimits.CONNECTION_AGE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }
    return new CallGuard(limits, timer);
  }
}
