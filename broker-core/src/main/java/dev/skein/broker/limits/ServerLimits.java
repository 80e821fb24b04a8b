package dev.skein.broker.limits;

import dev.skein.broker.auth.Caller;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What one client may cost the broker's gRPC port: message and header sizes, calls per
 * connection, connections per address and in all, and how long connections and calls may sit
 * idle. Kafka's names where Kafka has the setting.
 *
 * @param maxInboundMessageBytes largest request message (Kafka: socket.request.max.bytes). A
 *     larger one is refused with {@code REQUEST_TOO_LARGE} before it is parsed; one more than
 *     {@link #TRANSPORT_HEADROOM_BYTES} larger is cut off by gRPC's transport while it arrives
 *     (RESOURCE_EXHAUSTED, gRPC's own message), so no request is ever buffered beyond that
 * @param maxInboundMetadataBytes largest request header block (gRPC's limit; larger headers are
 *     refused with RESOURCE_EXHAUSTED by the transport)
 * @param maxConcurrentCallsPerConnection HTTP/2 streams a connection may have open at once;
 *     gRPC clients queue calls beyond it (SETTINGS_MAX_CONCURRENT_STREAMS), others get REFUSED_STREAM
 * @param maxConnectionIdle a connection without calls for this long is closed gracefully
 *     (GOAWAY; clients reconnect on their next call) (connections.max.idle.ms, as in Kafka)
 * @param maxConnectionAge connections older than this are closed gracefully (then
 *     {@link #CONNECTION_AGE_GRACE} for calls in progress); zero for never
 * @param keepAliveTime the broker pings a connection silent this long, to find dead clients
 *     (whose connections would otherwise count against their quota forever)
 * @param keepAliveTimeout and closes it when the ping is not answered within this
 * @param permitKeepAliveTime the shortest interval at which a client may ping; a client that
 *     pings more often gets GOAWAY {@code ENHANCE_YOUR_CALM} ("too_many_pings") and is cut off
 * @param permitKeepAliveWithoutCalls whether clients may ping while they have no calls open
 *     (Skein's own brokers and clients do, to keep replication and producer connections warm)
 * @param handshakeTimeout a new connection must finish its TLS handshake and HTTP/2 preface
 *     within this, or it is closed
 * @param streamIdleTimeout a call is closed with {@code STREAM_IDLE_TIMEOUT} when its request
 *     has not arrived in full this long after the call started, or, for client- and
 *     bidi-streaming calls, when every request has been answered and no message went either
 *     way for this long. Server-streaming calls (Subscribe) are exempt once their request is
 *     in: a consumer without flow-control credit or on a quiet topic is idle by design
 * @param maxConnections connections the port accepts in all (Kafka: max.connections)
 * @param maxConnectionsPerIp connections from one client address (Kafka: max.connections.per.ip)
 * @param maxConnectionsPerIpOverrides per host name or address, a different limit (Kafka:
 *     max.connections.per.ip.overrides); host names are resolved when the broker starts
 * @param maxConnectionsPerPrincipal connections of one principal, known when the connection is
 *     made: its TLS client certificate's, mapped by the principal mapping rules, or
 *     {@code User:ANONYMOUS} (plaintext, or TLS without a certificate). Kafka has no such setting
 *     (its per-user quotas are on bytes and requests); the name follows max.connections.per.ip.
 *     Unlimited ({@link Integer#MAX_VALUE}) by default. Brokers' own connections are never
 *     refused by it (see {@link ConnectionQuotas})
 * @param maxConnectionsPerPrincipalOverrides per principal ({@code User:<name>}, exactly as Skein
 *     names it), a different limit
 */
public record ServerLimits(
    int maxInboundMessageBytes,
    int maxInboundMetadataBytes,
    int maxConcurrentCallsPerConnection,
    Duration maxConnectionIdle,
    Duration maxConnectionAge,
    Duration keepAliveTime,
    Duration keepAliveTimeout,
    Duration permitKeepAliveTime,
    boolean permitKeepAliveWithoutCalls,
    Duration handshakeTimeout,
    Duration streamIdleTimeout,
    int maxConnections,
    int maxConnectionsPerIp,
    Map<String, Integer> maxConnectionsPerIpOverrides,
    int maxConnectionsPerPrincipal,
    Map<String, Integer> maxConnectionsPerPrincipalOverrides) {

  /** Bytes over {@code maxInboundMessageBytes} still read so the refusal can carry a reason. */
  public static final int TRANSPORT_HEADROOM_BYTES = 1024 * 1024;
  public static final Duration CONNECTION_AGE_GRACE = Duration.ofMinutes(1);

  /** A comma before the next entry's {@code User:} (any case, so a miswritten type is reported, not joined). */
  private static final Pattern PRINCIPAL_ENTRY_SEPARATOR = Pattern.compile(",\\s*(?=(?i)user:)");

  /**
   * 128 MiB messages (above Kafka's 100 MiB, and what Skein always accepted: a produce request
   * carries one batch per partition, each up to its topic's max.message.bytes), 8 KiB headers
   * (gRPC's default), 1000 calls per connection, idle connections closed after 10 minutes as in
   * Kafka, server pings after 1 minute of silence, client pings at most every 5 s, 10 s to
   * handshake, 10 minutes of idleness per call, 1000 connections per address and 10000 in all,
   * and no limit per principal.
   */
  public static final ServerLimits DEFAULT = new ServerLimits(128 * 1024 * 1024, 8 * 1024, 1000,
      Duration.ofMinutes(10), Duration.ZERO, Duration.ofMinutes(1), Duration.ofSeconds(20), Duration.ofSeconds(5),
      true, Duration.ofSeconds(10), Duration.ofMinutes(10), 10_000, 1_000, Map.of(), Integer.MAX_VALUE, Map.of());

  public ServerLimits {
    atLeast("max.inbound.message.bytes", maxInboundMessageBytes, 1024);
    atLeast("max.inbound.metadata.bytes", maxInboundMetadataBytes, 1024);
    atLeast("max.concurrent.calls.per.connection", maxConcurrentCallsPerConnection, 1);
    positive("connections.max.idle.ms", maxConnectionIdle);
    Objects.requireNonNull(maxConnectionAge, "maxConnectionAge");
    if (maxConnectionAge.isNegative()) {
      throw new IllegalArgumentException("max.connection.age.ms must be 0 (never) or positive, got "
          + maxConnectionAge.toMillis());
    }
    positive("keepalive.time.ms", keepAliveTime);
    positive("keepalive.timeout.ms", keepAliveTimeout);
    Objects.requireNonNull(permitKeepAliveTime, "permitKeepAliveTime");
    if (permitKeepAliveTime.isNegative()) {
      throw new IllegalArgumentException("permit.keepalive.time.ms must be >= 0, got " + permitKeepAliveTime.toMillis());
    }
    positive("handshake.timeout.ms", handshakeTimeout);
    positive("stream.idle.timeout.ms", streamIdleTimeout);
    atLeast("max.connections", maxConnections, 1);
    atLeast("max.connections.per.ip", maxConnectionsPerIp, 1);
    maxConnectionsPerIpOverrides = Map.copyOf(maxConnectionsPerIpOverrides);
    maxConnectionsPerIpOverrides.forEach((host, limit) ->
        atLeast("max.connections.per.ip.overrides (" + host + ")", limit, 0));
    atLeast("max.connections.per.principal", maxConnectionsPerPrincipal, 1);
    maxConnectionsPerPrincipalOverrides = Map.copyOf(maxConnectionsPerPrincipalOverrides);
    maxConnectionsPerPrincipalOverrides.forEach((principal, limit) -> {
      if (!principal.startsWith(Caller.USER_TYPE) || principal.length() == Caller.USER_TYPE.length()) {
        throw new IllegalArgumentException("max.connections.per.principal.overrides: principal '" + principal
            + "' must be User:<name>");
      }
      atLeast("max.connections.per.principal.overrides (" + principal + ")", limit, 0);
    });
  }

  /** What gRPC's transport is told: the limit plus the headroom in which Skein refuses with a reason. */
  public int transportMessageLimit() {
    return (int) Math.min(Integer.MAX_VALUE, (long) maxInboundMessageBytes + TRANSPORT_HEADROOM_BYTES);
  }

  public ServerLimits withMaxInboundMessageBytes(int bytes) {
    return new ServerLimits(bytes, maxInboundMetadataBytes, maxConcurrentCallsPerConnection, maxConnectionIdle,
        maxConnectionAge, keepAliveTime, keepAliveTimeout, permitKeepAliveTime, permitKeepAliveWithoutCalls,
        handshakeTimeout, streamIdleTimeout, maxConnections, maxConnectionsPerIp, maxConnectionsPerIpOverrides,
        maxConnectionsPerPrincipal, maxConnectionsPerPrincipalOverrides);
  }

  public ServerLimits withMaxConcurrentCallsPerConnection(int calls) {
    return new ServerLimits(maxInboundMessageBytes, maxInboundMetadataBytes, calls, maxConnectionIdle,
        maxConnectionAge, keepAliveTime, keepAliveTimeout, permitKeepAliveTime, permitKeepAliveWithoutCalls,
        handshakeTimeout, streamIdleTimeout, maxConnections, maxConnectionsPerIp, maxConnectionsPerIpOverrides,
        maxConnectionsPerPrincipal, maxConnectionsPerPrincipalOverrides);
  }

  public ServerLimits withConnectionQuotas(int total, int perIp, Map<String, Integer> perIpOverrides) {
    return new ServerLimits(maxInboundMessageBytes, maxInboundMetadataBytes, maxConcurrentCallsPerConnection,
        maxConnectionIdle, maxConnectionAge, keepAliveTime, keepAliveTimeout, permitKeepAliveTime,
        permitKeepAliveWithoutCalls, handshakeTimeout, streamIdleTimeout, total, perIp, perIpOverrides,
        maxConnectionsPerPrincipal, maxConnectionsPerPrincipalOverrides);
  }

  public ServerLimits withPrincipalConnectionQuota(int perPrincipal, Map<String, Integer> perPrincipalOverrides) {
    return new ServerLimits(maxInboundMessageBytes, maxInboundMetadataBytes, maxConcurrentCallsPerConnection,
        maxConnectionIdle, maxConnectionAge, keepAliveTime, keepAliveTimeout, permitKeepAliveTime,
        permitKeepAliveWithoutCalls, handshakeTimeout, streamIdleTimeout, maxConnections, maxConnectionsPerIp,
        maxConnectionsPerIpOverrides, perPrincipal, perPrincipalOverrides);
  }

  public ServerLimits withStreamIdleTimeout(Duration timeout) {
    return new ServerLimits(maxInboundMessageBytes, maxInboundMetadataBytes, maxConcurrentCallsPerConnection,
        maxConnectionIdle, maxConnectionAge, keepAliveTime, keepAliveTimeout, permitKeepAliveTime,
        permitKeepAliveWithoutCalls, handshakeTimeout, timeout, maxConnections, maxConnectionsPerIp,
        maxConnectionsPerIpOverrides, maxConnectionsPerPrincipal, maxConnectionsPerPrincipalOverrides);
  }

  public ServerLimits withHandshakeTimeout(Duration timeout) {
    return new ServerLimits(maxInboundMessageBytes, maxInboundMetadataBytes, maxConcurrentCallsPerConnection,
        maxConnectionIdle, maxConnectionAge, keepAliveTime, keepAliveTimeout, permitKeepAliveTime,
        permitKeepAliveWithoutCalls, timeout, streamIdleTimeout, maxConnections, maxConnectionsPerIp,
        maxConnectionsPerIpOverrides, maxConnectionsPerPrincipal, maxConnectionsPerPrincipalOverrides);
  }

  /**
   * The per-address limits by address: each override's host resolved to all its addresses.
   * A host that does not resolve fails the start rather than leaving a quota silently unapplied.
   */
  public Map<InetAddress, Integer> resolvedOverrides() {
    Map<InetAddress, Integer> resolved = new LinkedHashMap<>();
    maxConnectionsPerIpOverrides.forEach((host, limit) -> {
      try {
        for (InetAddress address : InetAddress.getAllByName(host)) {
          resolved.put(address, limit);
        }
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("max.connections.per.ip.overrides: cannot resolve '" + host + "'", e);
      }
    });
    return resolved;
  }

  /**
   * Parses Kafka's override syntax, {@code host:limit,host:limit}; an IPv6 address may be written
   * bare ({@code ::1:5}: the limit is after the last colon) or in brackets ({@code [::1]:5}).
   */
  public static Map<String, Integer> parseOverrides(String text) {
    Map<String, Integer> overrides = new LinkedHashMap<>();
    if (text == null || text.isBlank()) {
      return overrides;
    }
    for (String entry : text.split(",")) {
      String item = entry.trim();
      int colon = item.lastIndexOf(':');
      if (colon <= 0 || colon == item.length() - 1) {
        throw new IllegalArgumentException("max.connections.per.ip.overrides: '" + item
            + "' is not HOST:LIMIT");
      }
      String host = item.substring(0, colon).trim();
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      try {
        overrides.put(host, Integer.parseInt(item.substring(colon + 1).trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("max.connections.per.ip.overrides: '" + item
            + "' does not end in a number of connections");
      }
    }
    return overrides;
  }

  /**
   * Parses {@code User:<name>=LIMIT,User:<name>=LIMIT}. The limit is after an entry's last
   * {@code =}, so names may contain {@code =} ({@code User:CN=etl=50}); entries are separated by
   * the commas that come before {@code User:}, so names may contain commas too
   * ({@code User:CN=etl,OU=data=50}, a subject mapped by the DEFAULT rule).
   */
  public static Map<String, Integer> parsePrincipalOverrides(String text) {
    Map<String, Integer> overrides = new LinkedHashMap<>();
    if (text == null || text.isBlank()) {
      return overrides;
    }
    for (String entry : PRINCIPAL_ENTRY_SEPARATOR.split(text.trim())) {
      String item = entry.trim();
      if (!item.startsWith(Caller.USER_TYPE)) {
        throw new IllegalArgumentException("max.connections.per.principal.overrides: '" + item
            + "' is not User:<name>=LIMIT");
      }
      int equals = item.lastIndexOf('=');
      if (equals <= Caller.USER_TYPE.length() || equals == item.length() - 1) {
        throw new IllegalArgumentException("max.connections.per.principal.overrides: '" + item
            + "' is not User:<name>=LIMIT");
      }
      String principal = item.substring(0, equals).trim();
      int limit;
      try {
        limit = Integer.parseInt(item.substring(equals + 1).trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("max.connections.per.principal.overrides: '" + item
            + "' does not end in =LIMIT, a number of connections");
      }
      if (overrides.put(principal, limit) != null) {
        throw new IllegalArgumentException("max.connections.per.principal.overrides: " + principal
            + " is given twice");
      }
    }
    return overrides;
  }

  private static void atLeast(String name, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
    }
  }

  private static void positive(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + value.toMillis());
    }
  }
}
