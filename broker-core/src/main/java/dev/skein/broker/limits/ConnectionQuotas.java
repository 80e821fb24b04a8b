package dev.skein.broker.limits;

import dev.skein.broker.auth.CallerInterceptor;
import dev.skein.broker.auth.PrincipalMappingRules;
import dev.skein.broker.rpc.CallRefusal;
import dev.skein.proto.internal.v1.ReplicationServiceGrpc;
import dev.skein.proto.v1.AuthServiceGrpc;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Connection quotas: at most {@code max.connections.per.ip} connections from one address (or its
 * override), {@code max.connections.per.principal} of one principal (or its override) and
 * {@code max.connections} in all.
 *
 * <p>gRPC gives a server no way to refuse a connection at accept time with a reason, and a
 * connection closed without one reads to the client as "broker unreachable". So a connection over
 * a quota stays open but is not <em>admitted</em>: every call on it is failed at once with
 * RESOURCE_EXHAUSTED and {@code CONNECTION_QUOTA_EXCEEDED}, naming the quota and its value. It is
 * admitted later, on its next call, if a slot has been freed by then; an unadmitted connection
 * whose client gives up is closed by {@code max.connection.idle.ms} like any idle one.
 *
 * <p>A connection counts against one principal at a time: from the TLS handshake, which is over
 * by {@link #transportReady}, its certificate's (the client certificate in the transport's SSL
 * session mapped by the same rules and code, {@link CallerInterceptor#principal}, that name every
 * call's caller; {@code User:ANONYMOUS} without one), and from then on the principal of its latest
 * call: the user a valid SCRAM token names, as the call's caller is named, or else the
 * certificate's. A call of another principal than the one counted moves the connection to it, if
 * that principal is under its quota, and is refused otherwise (the connection then counts against
 * no principal until a call is served again); so no call is served for a principal over its
 * quota, whatever came before it on the connection. The SCRAM exchange itself
 * (the AuthService) comes before the client has a token and counts against no principal, nor does
 * replication (below). A certificate no rule maps, or an unknown token, counts against no
 * principal: {@link CallerInterceptor} refuses such calls anyway.
 *
 * <p>Brokers' own connections are never refused by the per-principal quota (Kafka, likewise,
 * exempts its inter-broker listener from its connection limits), in two ways:
 * <ul>
 *   <li>connections whose principal is a broker's (super users, and the principal of this
 *       broker's own certificate: see {@code SkeinBroker}) are not counted against it at all;
 *   <li>calls to the replication service pass it even on a connection it refuses (the connection
 *       still counts against its address and {@code max.connections}, as it always did, but not
 *       against the principal). On a plaintext port every connection, a follower's included, is
 *       {@code User:ANONYMOUS}, and brokers with certificates of their own may not be super users:
 *       this keeps replication going there. It opens nothing: the replication service has its own
 *       guards (a broker certificate on a TLS port, CLUSTER_ACTION with the authorizer on), and any
 *       other call on such a connection is still refused.
 * </ul>
 * The per-address and total quotas hold for brokers' connections as for any other.
 */
public final class ConnectionQuotas extends ServerTransportFilter implements ServerInterceptor {

  static final String PER_PRINCIPAL = "max.connections.per.principal";
  static final String PER_PRINCIPAL_OVERRIDES = "max.connections.per.principal.overrides";

  /** One connection's quota state, kept in its transport attributes. */
  static final class Connection {
    final InetAddress address;
    /**
     * The principal of its certificate (User:ANONYMOUS without one) for the per-principal quota;
     * null when that quota is off or does not apply to it.
     */
    final String certificatePrincipal;
    /** Counted against its address and max.connections. */
    boolean admitted;
    /** The principal it is counted against (only after, or together with, {@link #admitted}), or null. */
    String countedPrincipal;
    boolean closed;

    Connection(InetAddress address, String certificatePrincipal) {
      this.address = address;
      this.certificatePrincipal = certificatePrincipal;
    }
  }

  static final Attributes.Key<Connection> CONNECTION = Attributes.Key.create("skein.connection");

  private final int maxConnections;
  private final int perIp;
  private final Map<InetAddress, Integer> overrides;
  private final int perPrincipal;
  private final Map<String, Integer> principalOverrides;
  private final boolean principalQuotaOn;
  private final PrincipalMappingRules rules;
  private final Predicate<String> brokerPrincipal;
  private final Function<String, Optional<String>> tokenPrincipal;
  private final Map<InetAddress, Integer> admittedByAddress = new HashMap<>();
  private final Map<String, Integer> countedByPrincipal = new HashMap<>();
  private int admitted;

  /** With the DEFAULT principal mapping rule and no broker principals (for tests). */
  public ConnectionQuotas(ServerLimits limits) {
    this(limits, PrincipalMappingRules.parse(PrincipalMappingRules.DEFAULT), principal -> false,
        token -> Optional.empty());
  }

  /**
   * @param rules how a client certificate's subject becomes a principal (the broker's
   *     {@code --ssl-principal-mapping-rules})
   * @param brokerPrincipal whether a principal is a broker's, never limited per principal
   * @param tokenPrincipal the principal a SCRAM bearer token names, empty for a token this broker
   *     does not know
   */
  public ConnectionQuotas(ServerLimits limits, PrincipalMappingRules rules, Predicate<String> brokerPrincipal,
      Function<String, Optional<String>> tokenPrincipal) {
    this.maxConnections = limits.maxConnections();
    this.perIp = limits.maxConnectionsPerIp();
    this.overrides = limits.resolvedOverrides();
    this.perPrincipal = limits.maxConnectionsPerPrincipal();
    this.principalOverrides = limits.maxConnectionsPerPrincipalOverrides();
    // Unlimited and no overrides (the default): no principal is mapped or counted here at all.
    this.principalQuotaOn = perPrincipal != Integer.MAX_VALUE || !principalOverrides.isEmpty();
    this.rules = rules;
    this.brokerPrincipal = brokerPrincipal;
    this.tokenPrincipal = tokenPrincipal;
  }

  @Override
  public Attributes transportReady(Attributes attributes) {
    SocketAddress remote = attributes.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (!(remote instanceof InetSocketAddress inet) || inet.getAddress() == null) {
      return attributes; // in-process or Unix socket transports: no address to count against
    }
    Connection connection = new Connection(inet.getAddress(), certificatePrincipal(attributes));
    tryAdmit(connection, connection.certificatePrincipal);
    return attributes.toBuilder().set(CONNECTION, connection).build();
  }

  /** The principal of the connection's certificate that its calls count against, or null if none. */
  private String certificatePrincipal(Attributes attributes) {
    if (!principalQuotaOn) {
      return null;
    }
    String principal;
    try {
      principal = CallerInterceptor.principal(attributes.get(Grpc.TRANSPORT_ATTR_SSL_SESSION), rules).orElse(null);
    } catch (RuntimeException e) {
      return null; // a rule that fails on this subject fails each call the same way, with the reason
    }
    return principal == null || brokerPrincipal.test(principal) ? null : principal;
  }

  /**
   * The principal a call counts its connection against, or null for none: a valid SCRAM token's
   * user, else the certificate's principal.
   */
  private String callPrincipal(Connection connection, Metadata headers) {
    String authorization = headers.get(CallerInterceptor.AUTHORIZATION);
    if (authorization == null || !authorization.startsWith(CallerInterceptor.BEARER)) {
      return connection.certificatePrincipal;
    }
    String principal = tokenPrincipal.apply(authorization.substring(CallerInterceptor.BEARER.length()).trim())
        .orElse(null);
    return principal == null || brokerPrincipal.test(principal) ? null : principal;
  }

  @Override
  public void transportTerminated(Attributes attributes) {
    Connection connection = attributes == null ? null : attributes.get(CONNECTION);
    if (connection == null) {
      return;
    }
    synchronized (this) {
      connection.closed = true;
      if (connection.admitted) {
        connection.admitted = false;
        admitted--;
        admittedByAddress.merge(connection.address, -1, (a, b) -> a + b == 0 ? null : a + b);
      }
      uncountPrincipal(connection);
    }
  }

  /**
   * The refusal for this connection, or empty once it is (or becomes) admitted for a call of
   * {@code principal} (null for a call that counts against no principal: replication, SCRAM
   * authentication, a broker's). A principal's quota is checked before the address's slot is
   * taken, so a connection its principal may not have holds no slot of its address or in all.
   */
  private synchronized Optional<SkeinError> tryAdmit(Connection connection, String principal) {
    boolean principalCounted = principal == null || principal.equals(connection.countedPrincipal);
    if (connection.closed || connection.admitted && principalCounted) {
      return Optional.empty();
    }
    String ip = connection.address.getHostAddress();
    if (!connection.admitted) {
      int limit = overrides.getOrDefault(connection.address, perIp);
      int fromAddress = admittedByAddress.getOrDefault(connection.address, 0);
      if (fromAddress >= limit) {
        String quota = overrides.containsKey(connection.address) ? "max.connections.per.ip.overrides"
            : "max.connections.per.ip";
        return Optional.of(SkeinError.of(ErrorReason.CONNECTION_QUOTA_EXCEEDED, "too many connections from " + ip
            + ": " + fromAddress + " open, the broker's " + quota + " is " + limit + "; close some connections "
            + "(share one channel per broker) or raise the quota", Map.of("quota", quota,
            "limit", Integer.toString(limit), "client_ip", ip)));
      }
    }
    if (!principalCounted) {
      Optional<SkeinError> overPrincipal = principalRefusal(principal, ip);
      if (overPrincipal.isPresent()) {
        // Serving no one now, it holds no principal's slot: its next call is checked afresh.
        uncountPrincipal(connection);
        return overPrincipal;
      }
    }
    if (!connection.admitted) {
      if (admitted >= maxConnections) {
        return Optional.of(SkeinError.of(ErrorReason.CONNECTION_QUOTA_EXCEEDED, "the broker has " + admitted
            + " connections open, its max.connections is " + maxConnections + "; try again later or another broker",
            Map.of("quota", "max.connections", "limit", Integer.toString(maxConnections), "client_ip", ip)));
      }
      connection.admitted = true;
      admitted++;
      admittedByAddress.merge(connection.address, 1, Integer::sum);
    }
    if (!principalCounted) {
      uncountPrincipal(connection);
      connection.countedPrincipal = principal;
      countedByPrincipal.merge(principal, 1, Integer::sum);
    }
    return Optional.empty();
  }

  private void uncountPrincipal(Connection connection) {
    if (connection.countedPrincipal != null) {
      countedByPrincipal.merge(connection.countedPrincipal, -1, (a, b) -> a + b == 0 ? null : a + b);
      connection.countedPrincipal = null;
    }
  }

  private Optional<SkeinError> principalRefusal(String principal, String ip) {
    if (principal == null) {
      return Optional.empty();
    }
    Integer override = principalOverrides.get(principal);
    int limit = override != null ? override : perPrincipal;
    int ofPrincipal = countedByPrincipal.getOrDefault(principal, 0);
    if (ofPrincipal < limit) {
      return Optional.empty();
    }
    String quota = override != null ? PER_PRINCIPAL_OVERRIDES : PER_PRINCIPAL;
    return Optional.of(SkeinError.of(ErrorReason.CONNECTION_QUOTA_EXCEEDED, "too many connections of principal "
        + principal + ": " + ofPrincipal + " open, the broker's " + quota + " is " + limit
        + "; close some connections (share one channel per broker) or raise the quota", Map.of("quota", quota,
        "limit", Integer.toString(limit), "principal", principal, "client_ip", ip)));
  }

  /** Connections admitted now (for tests). */
  public synchronized int admitted() {
    return admitted;
  }

  /** Connections counted against a principal now (for tests). */
  synchronized int countedFor(String principal) {
    return countedByPrincipal.getOrDefault(principal, 0);
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    Connection connection = call.getAttributes().get(CONNECTION);
    Optional<SkeinError> refusal = Optional.empty();
    if (connection != null) {
      String service = call.getMethodDescriptor().getServiceName();
      boolean principalFree = !principalQuotaOn || ReplicationServiceGrpc.SERVICE_NAME.equals(service)
          || AuthServiceGrpc.SERVICE_NAME.equals(service);
      refusal = tryAdmit(connection, principalFree ? null : callPrincipal(connection, headers));
    }
    if (refusal.isEmpty()) {
      return next.startCall(call, headers);
    }
    return CallRefusal.refuse(call, refusal.get());
  }
}
