package dev.skein.broker;

import dev.skein.metadata.QuorumConfig;
import dev.skein.broker.replica.ReplicationConfig;
import dev.skein.metadata.QuorumVoter;
import dev.skein.storage.log.LogConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

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
    ReplicationConfig replication) {

  public static final int DEFAULT_PORT = 9092;
  public static final int DEFAULT_QUORUM_PORT = 9093;

  public BrokerConfig {
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(advertised, "advertised");
    voters = List.copyOf(voters);
    Objects.requireNonNull(quorumListen, "quorumListen");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(replication, "replication");
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

  /** A single-node broker: node 1, voter of its own quorum, everything on localhost. */
  public static BrokerConfig singleNode(Path dataDir, int port, int quorumPort) {
    return new BrokerConfig(1, new HostPort("0.0.0.0", port), new HostPort("localhost", port),
        List.of(new QuorumVoter(1, "localhost", quorumPort)), new HostPort("0.0.0.0", quorumPort), dataDir, "",
        1, 1, LogConfig.DEFAULT, QuorumConfig.DEFAULT_HEARTBEAT_INTERVAL, QuorumConfig.DEFAULT_SESSION_TIMEOUT,
        Duration.ofSeconds(30), ReplicationConfig.DEFAULT);
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

  public BrokerConfig withListen(HostPort newListen, HostPort newAdvertised) {
    return new BrokerConfig(nodeId, newListen, newAdvertised, voters, quorumListen, dataDir, rack, numPartitions,
        defaultReplicationFactor, logDefaults, heartbeatInterval, sessionTimeout, controlledShutdownTimeout,
        replication);
  }

  /**
   * The quorum's settings. A voter binds its Raft port on {@code quorumListen}'s host and is
   * reached at its voter entry; a non-voting member binds and is reached at {@code quorumListen}.
   */
  public QuorumConfig quorumConfig() {
    return QuorumConfig.builder(nodeId, voters, quorumListen.host(), quorumListen.port(), dataDir)
        .heartbeatInterval(heartbeatInterval)
        .sessionTimeout(sessionTimeout)
        .build();
  }
}
