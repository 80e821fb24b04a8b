package dev.skein.cli;

import dev.skein.broker.limits.ServerLimits;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code skein broker}'s limits on what one client may cost the client port (a mixin, so BrokerCommand stays short). */
final class LimitOptions {

  @Option(names = "--max-inbound-message-bytes", defaultValue = "134217728", paramLabel = "BYTES",
      description = "Largest request message; larger ones are refused with RESOURCE_EXHAUSTED/REQUEST_TOO_LARGE "
          + "(Kafka: socket.request.max.bytes). A produce request carries a batch per partition, so keep it above "
          + "max.message.bytes. Default: ${DEFAULT-VALUE}.")
  int maxInboundMessageBytes;

  @Option(names = "--max-inbound-metadata-bytes", defaultValue = "8192", paramLabel = "BYTES",
      description = "Largest request header block. Default: ${DEFAULT-VALUE}.")
  int maxInboundMetadataBytes;

  @Option(names = "--max-concurrent-calls-per-connection", defaultValue = "1000", paramLabel = "N",
      description = "Calls (HTTP/2 streams) one connection may have open; gRPC clients queue the rest. "
          + "Default: ${DEFAULT-VALUE}.")
  int maxConcurrentCallsPerConnection;

  @Option(names = "--connections-max-idle-ms", defaultValue = "600000", paramLabel = "MS",
      description = "Close connections without calls for this long (GOAWAY; clients reconnect when needed) "
          + "(connections.max.idle.ms). Default: ${DEFAULT-VALUE}.")
  long connectionsMaxIdleMs;

  @Option(names = "--max-connection-age-ms", defaultValue = "0", paramLabel = "MS",
      description = "Close connections older than this, after a minute's grace for their calls; 0 for never. "
          + "Default: ${DEFAULT-VALUE}.")
  long maxConnectionAgeMs;

  @Option(names = "--keepalive-time-ms", defaultValue = "60000", paramLabel = "MS",
      description = "Ping a connection silent this long, to find dead clients. Default: ${DEFAULT-VALUE}.")
  long keepAliveTimeMs;

  @Option(names = "--keepalive-timeout-ms", defaultValue = "20000", paramLabel = "MS",
      description = "Close a connection whose ping is not answered within this. Default: ${DEFAULT-VALUE}.")
  long keepAliveTimeoutMs;

  @Option(names = "--permit-keepalive-time-ms", defaultValue = "5000", paramLabel = "MS",
      description = "Clients pinging more often than this are cut off (GOAWAY too_many_pings). "
          + "Default: ${DEFAULT-VALUE}.")
  long permitKeepAliveTimeMs;

  @Option(names = "--permit-keepalive-without-calls", defaultValue = "true", arity = "1", paramLabel = "true|false",
      description = "Whether clients may ping while they have no calls open. Default: ${DEFAULT-VALUE}.")
  boolean permitKeepAliveWithoutCalls;

  @Option(names = "--handshake-timeout-ms", defaultValue = "10000", paramLabel = "MS",
      description = "A new connection must finish its TLS handshake and HTTP/2 preface within this. "
          + "Default: ${DEFAULT-VALUE}.")
  long handshakeTimeoutMs;

  @Option(names = "--stream-idle-timeout-ms", defaultValue = "600000", paramLabel = "MS",
      description = "Close a call whose request has not arrived in full within this, or a produce or replication "
          + "stream with nothing unanswered and no message for this long (STREAM_IDLE_TIMEOUT). Subscribe streams "
          + "are exempt. Default: ${DEFAULT-VALUE}.")
  long streamIdleTimeoutMs;

  @Option(names = "--max-connections", defaultValue = "10000", paramLabel = "N",
      description = "Connections the client port serves in all; calls on connections beyond it are refused with "
          + "RESOURCE_EXHAUSTED/CONNECTION_QUOTA_EXCEEDED (max.connections). Default: ${DEFAULT-VALUE}.")
  int maxConnections;

  @Option(names = "--max-connections-per-ip", defaultValue = "1000", paramLabel = "N",
      description = "Connections served from one client address (max.connections.per.ip). Default: ${DEFAULT-VALUE}.")
  int maxConnectionsPerIp;

  @Option(names = "--max-connections-per-ip-overrides", defaultValue = "", paramLabel = "HOST:N,...",
      description = "Per host name or address, a different limit, e.g. 10.0.0.7:5000,[::1]:100 "
          + "(max.connections.per.ip.overrides).")
  String maxConnectionsPerIpOverrides;

  @Option(names = "--max-connections-per-principal", defaultValue = "2147483647", paramLabel = "N",
      description = "Connections served of one principal: the TLS client certificate's, mapped by "
          + "--ssl-principal-mapping-rules, or User:ANONYMOUS without one (plaintext included) "
          + "(max.connections.per.principal). Brokers' own connections (super users, the broker certificate's "
          + "principal, replication calls) are never refused by it. Default: unlimited.")
  int maxConnectionsPerPrincipal;

  @Option(names = "--max-connections-per-principal-overrides", defaultValue = "", paramLabel = "User:NAME=N,...",
      description = "Per principal, a different limit, e.g. User:CN=etl=50,User:ANONYMOUS=5: the limit is after "
          + "the last '=' (max.connections.per.principal.overrides).")
  String maxConnectionsPerPrincipalOverrides;

  ServerLimits toLimits() {
    return new ServerLimits(maxInboundMessageBytes, maxInboundMetadataBytes, maxConcurrentCallsPerConnection,
        Duration.ofMillis(connectionsMaxIdleMs), Duration.ofMillis(maxConnectionAgeMs),
        Duration.ofMillis(keepAliveTimeMs), Duration.ofMillis(keepAliveTimeoutMs),
        Duration.ofMillis(permitKeepAliveTimeMs), permitKeepAliveWithoutCalls, Duration.ofMillis(handshakeTimeoutMs),
        Duration.ofMillis(streamIdleTimeoutMs), maxConnections, maxConnectionsPerIp,
        ServerLimits.parseOverrides(maxConnectionsPerIpOverrides), maxConnectionsPerPrincipal,
        ServerLimits.parsePrincipalOverrides(maxConnectionsPerPrincipalOverrides));
  }
}
