package dev.skein.broker;

import dev.skein.metadata.QuorumConfig;
import dev.skein.broker.group.GroupConfig;
import dev.skein.broker.metrics.MetricsConfig;
import dev.skein.broker.replica.ReplicationConfig;
import dev.skein.metadata.QuorumVoter;
import dev.skein.storage.log.LogConfig;
import dev.skein.storage.log.LogCleanerConfig;
import dev.skein.storage.log.LogManagerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import dev.skein.broker.tls.TlsConfig;
import dev.skein.broker.auth.SecurityConfig;

/**
 * Everything a broker needs to start. Defaults give a usable single-node cluster: node 1,
 * clients on port 9092, the metadata quorum on 9093, data in {@code ./data}.
 *
 * @param nodeId this broker's id (Kafka's node.id), also its id in the metadata quorum
 * @param listen where the gRPC service binds
 * @param advertised where clients and other brokers reach the gRPC service
 * @param voters the metadata quorum's voters (KRaft's controller.quorum.voters)
 * @param quorumListen where this broker's Raft endpoint binds; for a voter its port is the one
 *     in its voter entry
 * @param dataDir holds {@code logs/}, {@code state/} and {@code metadata/}
 * @param rack the broker's rack (broker.rack), or empty
 * @param numPartitions partitions of a topic created without a count (num.partitions)
 * @param defaultReplicationFactor replicas of a topic created without a factor (default.replication.factor)
 * @param logDefaults topic config defaults (log.segment.bytes, log.retention.ms, message.max.bytes, …)
 * @param heartbeatInterval how often the broker heartbeats to the controller
 * @param sessionTimeout how long the controller waits for a heartbeat before fencing
 * @param controlledShutdownTimeout how long a stopping broker waits for its leaderships to move
 * @param replication follower fetching and ISR settings
 * @param autoLeaderRebalance whether the controller moves leaderships back to preferred replicas
 *     (auto.leader.rebalance.enable)
 * @param leaderImbalanceCheckInterval how often the controller looks for partitions to move back
 * @param retentionCheckInterval how often logs are checked against retention.ms and retention.bytes
 *     (log.retention.check.interval.ms)
 * @param groups the group coordinator's settings
 * @param cleaner log compaction: log.cleaner.threads, log.cleaner.dedupe.buffer.size,
 *     log.cleaner.io.max.bytes.per.second, log.cleaner.backoff.ms
 * @param metrics the metrics endpoint: where it listens (none by default here; the command line's default
 *     is 0.0.0.0:9644) and whether per-partition series are exported
 * @param tls TLS on the client port (which also carries replication), on this broker's calls to
 *     other brokers and on the Raft port; empty for plaintext everywhere
 * @param limits what one client may cost the client port: message sizes, calls per connection,
 *     connection quotas, keepalive and idle timeouts
 * @param security principals from client certificates, and the ACL authorizer (off by default)
 */
public record BrokerConfig(
    int nodeId,
    HostPort listen,
    HostPort advertised,
    List<QuorumVoter> voters,
    HostPort quorumListen,
    Path dataDir,
    String rack,
    int numPartitions,
    int defaultReplicationFactor,
    LogConfig logDefaults,
    Duration heartbeatInterval,
    Duration sessionTimeout,
    Duration controlledShutdownTimeout,
    ReplicationConfig replication,
    boolean autoLeaderRebalance,
    Duration leaderImbalanceCheckInterval,
    Duration retentionCheckInterval,
    GroupConfig groups,
    LogCleanerConfig cleaner,
    MetricsConfig metrics,
    Optional<TlsConfig> tls,
    dev.skein.broker.limits.ServerLimits limits,
    SecurityConfig security) {

  public static final int DEFAULT_PORT = 9092;
  public static final int DEFAULT_QUORUM_PORT = 9093;

  public BrokerConfig {
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(advertised, "advertised");
    voters = List.copyOf(voters);
    Objects.requireNonNull(quorumListen, "quorumListen");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(replication, "replication");
    Objects.requireNonNull(leaderImbalanceCheckInterval, "leaderImbalanceCheckInterval");
    Objects.requireNonNull(cleaner, "cleaner");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(security, "security");
    if (retentionCheckInterval == null || retentionCheckInterval.isNegative() || retentionCheckInterval.isZero()) {
      throw new IllegalArgumentException("log.retention.check.interval.ms must be positive, got "
          + retentionCheckInterval);
    }
    Objects.requireNonNull(groups, "groups");
    rack = rack == null ? "" : rack;
    if (advertised.isWildcard() || advertised.port() == 0) {
      throw new IllegalArgumentException("advertised address " + advertised
          + " must name a host and port clients can reach, not a wildcard");
    }
    if (numPartitions < 1) {
      throw new IllegalArgumentException("num.partitions must be at least 1, got " + numPartitions);
    }
    if (defaultReplicationFactor < 1) {
      throw new IllegalArgumentException("default.replication.factor must be at least 1, got "
          + defaultReplicationFactor);
    }
  }

  /**
   * A configuration with every setting at its default: a voter of a single-node quorum on
   * localhost, clients on 9092, the quorum on 9093, data in {@code dataDir}.
   */
  public static Builder builder(int nodeId, Path dataDir) {
    return new Builder(nodeId, dataDir);
  }

  public boolean isVoter() {
    return voters.stream().anyMatch(v -> v.id() == nodeId);
  }

  public Path logsDir() {
    return dataDir.resolve("logs");
  }

  public Path stateDir() {
    return dataDir.resolve("state");
  }


  /**
   * The quorum's settings. A voter binds its Raft port on {@code quorumListen}'s host and is
   * reached at its voter entry; a non-voting member binds and is reached at {@code quorumListen}.
   */
  public QuorumConfig quorumConfig() {
    return QuorumConfig.builder(nodeId, voters, quorumListen.host(), quorumListen.port(), dataDir)
        .heartbeatInterval(heartbeatInterval)
        .sessionTimeout(sessionTimeout)
        .autoLeaderRebalance(autoLeaderRebalance)
        .leaderImbalanceCheckInterval(leaderImbalanceCheckInterval)
        .build();
  }

  /** Builds a {@link BrokerConfig}; every setting not given has its default. */
  public static final class Builder {
    private final int nodeId;
    private final Path dataDir;
    private TlsConfig tls;
    private HostPort listen = new HostPort("0.0.0.0", DEFAULT_PORT);
    private HostPort advertised;
    private List<QuorumVoter> voters;
    private HostPort quorumListen;
    private String rack = "";
    private int numPartitions = 1;
    private int defaultReplicationFactor = 1;
    private LogConfig logDefaults = LogConfig.DEFAULT;
    private Duration heartbeatInterval = QuorumConfig.DEFAULT_HEARTBEAT_INTERVAL;
    private Duration sessionTimeout = QuorumConfig.DEFAULT_SESSION_TIMEOUT;
    private Duration controlledShutdownTimeout = Duration.ofSeconds(30);
    private ReplicationConfig replication = ReplicationConfig.DEFAULT;
    private boolean autoLeaderRebalance = QuorumConfig.DEFAULT_AUTO_LEADER_REBALANCE;
    private Duration leaderImbalanceCheckInterval = QuorumConfig.DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL;
    private Duration retentionCheckInterval = LogManagerConfig.DEFAULT_RETENTION_CHECK_INTERVAL;
    private GroupConfig groups = GroupConfig.DEFAULT;
    private LogCleanerConfig cleaner = LogCleanerConfig.DEFAULT;
    private MetricsConfig metrics = MetricsConfig.NO_ENDPOINT;
    private dev.skein.broker.limits.ServerLimits limits = dev.skein.broker.limits.ServerLimits.DEFAULT;
    private SecurityConfig security = SecurityConfig.DEFAULT;

    private Builder(int nodeId, Path dataDir) {
      this.nodeId = nodeId;
      this.dataDir = dataDir;
    }

    /** Where the gRPC service binds and where others reach it. */
    public Builder listen(HostPort bindAt, HostPort advertisedAt) {
      this.listen = bindAt;
      this.advertised = advertisedAt;
      return this;
    }

    /** The quorum's voters, and where this broker's Raft endpoint binds. */
    public Builder quorum(List<QuorumVoter> quorumVoters, HostPort raftListen) {
      this.voters = quorumVoters;
      this.quorumListen = raftListen;
      return this;
    }

    public Builder rack(String value) {
      this.rack = value;
      return this;
    }

    public Builder topicDefaults(int partitions, int replicationFactor, LogConfig log) {
      this.numPartitions = partitions;
      this.defaultReplicationFactor = replicationFactor;
      this.logDefaults = log;
      return this;
    }

    public Builder membership(Duration heartbeat, Duration session, Duration controlledShutdown) {
      this.heartbeatInterval = heartbeat;
      this.sessionTimeout = session;
      this.controlledShutdownTimeout = controlledShutdown;
      return this;
    }

    public Builder replication(ReplicationConfig value) {
      this.replication = value;
      return this;
    }

    public Builder leaderRebalance(boolean enabled, Duration checkInterval) {
      this.autoLeaderRebalance = enabled;
      this.leaderImbalanceCheckInterval = checkInterval;
      return this;
    }

    public Builder retentionCheckInterval(Duration interval) {
      this.retentionCheckInterval = interval;
      return this;
    }

    public Builder groups(GroupConfig value) {
      this.groups = value;
      return this;
    }

    public Builder cleaner(LogCleanerConfig value) {
      this.cleaner = value;
      return this;
    }

    /** The metrics endpoint; by default none (brokers embedded in tests must not race for one port). */
    public Builder metrics(MetricsConfig value) {
      this.metrics = value;
      return this;
    }

    /** TLS on every port; by default none. */
    public Builder tls(TlsConfig value) {
      this.tls = value;
      return this;
    }

    /** Limits on the client port; by default {@link dev.skein.broker.limits.ServerLimits#DEFAULT}. */
    public Builder limits(dev.skein.broker.limits.ServerLimits value) {
      this.limits = value;
      return this;
    }

    /** Principal mapping and the authorizer; by default the DEFAULT rule and no authorizer. */
    public Builder security(SecurityConfig value) {
      this.security = value;
      return this;
    }

    public BrokerConfig build() {
      HostPort advertisedAt = advertised != null ? advertised
          : listen.isWildcard() ? new HostPort("localhost", listen.port()) : listen;
      List<QuorumVoter> quorumVoters = voters != null ? voters
          : List.of(new QuorumVoter(nodeId, "localhost", DEFAULT_QUORUM_PORT));
      HostPort raftListen = quorumListen != null ? quorumListen
          : new HostPort("0.0.0.0", DEFAULT_QUORUM_PORT);
      return new BrokerConfig(nodeId, listen, advertisedAt, quorumVoters, raftListen, dataDir, rack, numPartitions,
          defaultReplicationFactor, logDefaults, heartbeatInterval, sessionTimeout, controlledShutdownTimeout,
          replication, autoLeaderRebalance, leaderImbalanceCheckInterval, retentionCheckInterval, groups, cleaner,
          metrics, Optional.ofNullable(tls), limits, security);
    }
  }
}
