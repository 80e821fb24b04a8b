package dev.skein.metadata;

import dev.skein.metadata.controller.ControllerSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How one broker takes part in the metadata quorum.
 *
 * @param nodeId this broker's id; it votes if it is one of {@code voters}, else it joins as a
 *     non-voting Raft listener
 * @param raftHost the interface the Raft endpoint binds to; a listener also advertises it
 * @param raftPort the Raft endpoint's port; a voter's must be the one in its voter entry
 * @param dataDir the broker's data directory; the quorum keeps its log and snapshots in
 *     {@code <dataDir>/metadata}
 * @param electionTimeoutMin a follower that hears nothing from the leader for a random time
 *     between min and max starts an election. 1–2 s keeps a loaded machine from electing
 *     needlessly while a dead leader is still replaced in about 2 s.
 * @param firstElectionTimeoutMin the same for a member's first election after start, so that a
 *     new cluster gets a leader quickly
 * @param heartbeatInterval how often a broker heartbeats to the controller
 * @param sessionTimeout the controller fences an unfenced broker not heard from for this long
 * @param snapshotThreshold applied entries between two automatic snapshots; the log is purged
 *     up to each snapshot
 * @param logSegmentSizeBytes size at which Raft log segments roll (only closed segments are purged)
 * @param logPurgeGap entries Ratis lets accumulate between two purges
 * @param autoLeaderRebalance whether the controller moves a partition's leadership back to its
 *     preferred leader (its first replica) once that broker is usable and in the ISR again
 *     (Kafka's {@code auto.leader.rebalance.enable})
 * @param leaderImbalanceCheckInterval how often the controller looks for such partitions; it
 *     also looks right after a broker is unfenced or an ISR takes a preferred leader back
 * @param tls TLS with mutual authentication on the Raft port, or empty for plaintext
 */
public record QuorumConfig(
    int nodeId,
    List<QuorumVoter> voters,
    String raftHost,
    int raftPort,
    Path dataDir,
    Duration electionTimeoutMin,
    Duration electionTimeoutMax,
    Duration firstElectionTimeoutMin,
    Duration firstElectionTimeoutMax,
    Duration heartbeatInterval,
    Duration sessionTimeout,
    long snapshotThreshold,
    long logSegmentSizeBytes,
    int logPurgeGap,
    boolean autoLeaderRebalance,
    Duration leaderImbalanceCheckInterval,
    Optional<QuorumTls> tls) {

  public static final Duration DEFAULT_ELECTION_TIMEOUT_MIN = Duration.ofMillis(750);
  public static final Duration DEFAULT_ELECTION_TIMEOUT_MAX = Duration.ofMillis(1500);
  public static final Duration DEFAULT_FIRST_ELECTION_TIMEOUT_MIN = Duration.ofMillis(300);
  public static final Duration DEFAULT_FIRST_ELECTION_TIMEOUT_MAX = Duration.ofMillis(600);
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofMillis(250);
  public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofMillis(2000);
  public static final long DEFAULT_SNAPSHOT_THRESHOLD = 10_000;
  public static final long DEFAULT_LOG_SEGMENT_SIZE_BYTES = 8L * 1024 * 1024;
  public static final int DEFAULT_LOG_PURGE_GAP = 1024;
  public static final boolean DEFAULT_AUTO_LEADER_REBALANCE = true;
  public static final Duration DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL =
      ControllerSettings.DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL;

  public QuorumConfig {
    voters = List.copyOf(voters);
    Objects.requireNonNull(raftHost, "raftHost");
    Objects.requireNonNull(dataDir, "dataDir");
    if (nodeId < 0) {
      throw new IllegalArgumentException("node id " + nodeId + " is negative");
    }
    if (voters.isEmpty()) {
      throw new IllegalArgumentException("the metadata quorum needs at least one voter");
    }
    if (raftPort < 1 || raftPort > 65535) {
      throw new IllegalArgumentException("raft port " + raftPort + " is not between 1 and 65535");
    }
    Optional<QuorumVoter> self = voters.stream().filter(voter -> voter.id() == nodeId).findFirst();
    if (self.isPresent() && self.get().port() != raftPort) {
      throw new IllegalArgumentException("node " + nodeId + " is voter " + self.get() + " but its raft port is "
          + raftPort);
    }
    requireRange("election timeout", electionTimeoutMin, electionTimeoutMax);
    requireRange("first election timeout", firstElectionTimeoutMin, firstElectionTimeoutMax);
    requirePositive("heartbeat interval", heartbeatInterval);
    requirePositive("session timeout", sessionTimeout);
    if (heartbeatInterval.compareTo(sessionTimeout) >= 0) {
      throw new IllegalArgumentException("heartbeat interval " + heartbeatInterval.toMillis()
          + " ms must be shorter than the session timeout " + sessionTimeout.toMillis() + " ms");
    }
    if (snapshotThreshold < 1) {
      throw new IllegalArgumentException("snapshot threshold must be at least 1, got " + snapshotThreshold);
    }
    if (logSegmentSizeBytes < 1024) {
      throw new IllegalArgumentException("log segment size must be at least 1024 bytes, got " + logSegmentSizeBytes);
    }
    if (logPurgeGap < 1) {
      throw new IllegalArgumentException("log purge gap must be at least 1, got " + logPurgeGap);
    }
    requirePositive("leader imbalance check interval", leaderImbalanceCheckInterval);
    Objects.requireNonNull(tls, "tls");
  }

  /** This configuration with TLS on the Raft port. */
  public QuorumConfig withTls(QuorumTls value) {
    return new QuorumConfig(nodeId, voters, raftHost, raftPort, dataDir, electionTimeoutMin, electionTimeoutMax,
        firstElectionTimeoutMin, firstElectionTimeoutMax, heartbeatInterval, sessionTimeout, snapshotThreshold,
        logSegmentSizeBytes, logPurgeGap, autoLeaderRebalance, leaderImbalanceCheckInterval, Optional.of(value));
  }

  /** A configuration with the defaults above. */
  public static Builder builder(int nodeId, List<QuorumVoter> voters, String raftHost, int raftPort, Path dataDir) {
    return new Builder(nodeId, voters, raftHost, raftPort, dataDir);
  }

  /** Whether this node votes. */
  public boolean isVoter() {
    return voters.stream().anyMatch(voter -> voter.id() == nodeId);
  }

  /** The address other members reach this node's Raft endpoint at. */
  public String raftAddress() {
    return voters.stream().filter(voter -> voter.id() == nodeId).findFirst()
        .map(QuorumVoter::address)
        .orElseGet(() -> new QuorumVoter(nodeId, raftHost, raftPort).address());
  }

  /** The quorum's directory inside the broker's data directory. */
  public Path metadataDir() {
    return dataDir.resolve("metadata");
  }

  private static void requirePositive(String what, Duration duration) {
    Objects.requireNonNull(duration, what);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + duration);
    }
  }

  private static void requireRange(String what, Duration min, Duration max) {
    requirePositive(what + " min", min);
    requirePositive(what + " max", max);
    if (min.compareTo(max) > 0) {
      throw new IllegalArgumentException(what + " min " + min.toMillis() + " ms is above max " + max.toMillis() + " ms");
    }
  }

  /** Builds a {@link QuorumConfig}; every setting not given has its default. */
  public static final class Builder {
    private final int nodeId;
    private final List<QuorumVoter> voters;
    private final String raftHost;
    private final int raftPort;
    private final Path dataDir;
    private Duration electionTimeoutMin = DEFAULT_ELECTION_TIMEOUT_MIN;
    private Duration electionTimeoutMax = DEFAULT_ELECTION_TIMEOUT_MAX;
    private Duration firstElectionTimeoutMin = DEFAULT_FIRST_ELECTION_TIMEOUT_MIN;
    private Duration firstElectionTimeoutMax = DEFAULT_FIRST_ELECTION_TIMEOUT_MAX;
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private Duration sessionTimeout = DEFAULT_SESSION_TIMEOUT;
    private long snapshotThreshold = DEFAULT_SNAPSHOT_THRESHOLD;
    private long logSegmentSizeBytes = DEFAULT_LOG_SEGMENT_SIZE_BYTES;
    private int logPurgeGap = DEFAULT_LOG_PURGE_GAP;
    private boolean autoLeaderRebalance = DEFAULT_AUTO_LEADER_REBALANCE;
    private Duration leaderImbalanceCheckInterval = DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL;

    private Builder(int nodeId, List<QuorumVoter> voters, String raftHost, int raftPort, Path dataDir) {
      this.nodeId = nodeId;
      this.voters = voters;
      this.raftHost = raftHost;
      this.raftPort = raftPort;
      this.dataDir = dataDir;
    }

    public Builder electionTimeout(Duration min, Duration max) {
      this.electionTimeoutMin = min;
      this.electionTimeoutMax = max;
      return this;
    }

    public Builder firstElectionTimeout(Duration min, Duration max) {
      this.firstElectionTimeoutMin = min;
      this.firstElectionTimeoutMax = max;
      return this;
    }

    public Builder heartbeatInterval(Duration interval) {
      this.heartbeatInterval = interval;
      return this;
    }

    public Builder sessionTimeout(Duration timeout) {
      this.sessionTimeout = timeout;
      return this;
    }

    public Builder snapshotThreshold(long entries) {
      this.snapshotThreshold = entries;
      return this;
    }

    public Builder logSegmentSizeBytes(long bytes) {
      this.logSegmentSizeBytes = bytes;
      return this;
    }

    public Builder logPurgeGap(int entries) {
      this.logPurgeGap = entries;
      return this;
    }

    public Builder autoLeaderRebalance(boolean enabled) {
      this.autoLeaderRebalance = enabled;
      return this;
    }

    public Builder leaderImbalanceCheckInterval(Duration interval) {
      this.leaderImbalanceCheckInterval = interval;
      return this;
    }

    public QuorumConfig build() {
      return new QuorumConfig(nodeId, voters, raftHost, raftPort, dataDir, electionTimeoutMin, electionTimeoutMax,
          firstElectionTimeoutMin, firstElectionTimeoutMax, heartbeatInterval, sessionTimeout, snapshotThreshold,
          logSegmentSizeBytes, logPurgeGap, autoLeaderRebalance, leaderImbalanceCheckInterval, Optional.empty());
    }
  }
}
