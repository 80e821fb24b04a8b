package dev.skein.broker.limits;

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

/**
 * Connection quotas: at most {@code max.connections.per.ip} connections from one address (or its
 * override) and {@code max.connections} in all.
 *
 * <p>gRPC gives a server no way to refuse a connection at accept time with a reason, and a
 * connection closed without one reads to the client as "broker unreachable". So a connection over
 * a quota stays open but is not <em>admitted</em>: every call on it is failed at once with
 * RESOURCE_EXHAUSTED and {@code CONNECTION_QUOTA_EXCEEDED}, naming the quota and its value. It is
 * admitted later, on its next call, if a slot has been freed by then; an unadmitted connection
 * whose client gives up is closed by {@code max.connection.idle.ms} like any idle one.
 */
public final class ConnectionQuotas extends ServerTransportFilter implements ServerInterceptor {

  /** One connection's quota state, kept in its transport attributes. */
  static final class Connection {
    final InetAddress address;
    boolean admitted;
    boolean closed;

    Connection(InetAddress address) {
      this.address = address;
    }
  }

  static final Attributes.Key<Connection> CONNECTION = Attributes.Key.create("skein.connection");

  private final int maxConnections;
  private final int perIp;
  private final Map<InetAddress, Integer> overrides;
  private final Map<InetAddress, Integer> admittedByAddress = new HashMap<>();
  private int admitted;

  public ConnectionQuotas(ServerLimits limits) {
    this.maxConnections = limits.maxConnections();
    this.perIp = limits.maxConnectionsPerIp();
    this.overrides = limits.resolvedOverrides();
  }

  @Override
  public Attributes transportReady(Attributes attributes) {
    SocketAddress remote = attributes.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (!(remote instanceof InetSocketAddress inet) || inet.getAddress() == null) {
      return attributes; // in-process or Unix socket transports: no address to count against
    }
    Connection connection = new Connection(inet.getAddress());
    tryAdmit(connection);
    return attributes.toBuilder().set(CONNECTION, connection).build();
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
    }
  }

  /** The refusal for this connection, or empty once it is (or becomes) admitted. */
  private synchronized Optional<SkeinError> tryAdmit(Connection connection) {
    if (connection.admitted || connection.closed) {
      return Optional.empty();
    }
    int limit = overrides.getOrDefault(connection.address, perIp);
    int fromAddress = admittedByAddress.getOrDefault(connection.address, 0);
    String ip = connection.address.getHostAddress();
    if (fromAddress >= limit) {
      String quota = overrides.containsKey(connection.address) ? "max.connections.per.ip.overrides"
          : "max.connections.per.ip";
      return Optional.of(SkeinError.of(ErrorReason.CONNECTION_QUOTA_EXCEEDED, "too many connections from " + ip
          + ": " + fromAddress + " open, the broker's " + quota + " is " + limit + "; close some connections "
          + "(share one channel per broker) or raise the quota", Map.of("quota", quota,
          "limit", Integer.toString(limit), "client_ip", ip)));
    }
    if (admitted >= maxConnections) {
      return Optional.of(SkeinError.of(ErrorReason.CONNECTION_QUOTA_EXCEEDED, "the broker has " + admitted
          + " connections open, its max.connections is " + maxConnections + "; try again later or another broker",
          Map.of("quota", "max.connections", "limit", Integer.toString(maxConnections), "client_ip", ip)));
    }
    connection.admitted = true;
    admitted++;
    admittedByAddress.merge(connection.address, 1, Integer::sum);
    return Optional.empty();
  }

  /** Connections admitted now (for tests). */
  public synchronized int admitted() {
    return admitted;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    Connection connection = call.getAttributes().get(CONNECTION);
    Optional<SkeinError> refusal = connection == null ? Optional.empty() : tryAdmit(connection);
    if (refusal.isEmpty()) {
      return next.startCall(call, headers);
    }
    var status = refusal.get().toStatusException();
    call.close(status.getStatus(), status.getTrailers() == null ? new Metadata() : status.getTrailers());
    return new ServerCall.Listener<>() {};
  }
}
