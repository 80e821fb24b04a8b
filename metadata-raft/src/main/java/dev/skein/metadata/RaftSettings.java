package dev.skein.metadata;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/** The Ratis properties the metadata quorum runs with; the reasons are in the comments. */
final class RaftSettings {

  /** How long a client RPC to one server may take before the channel tries again. */
  static final Duration CLIENT_REQUEST_TIMEOUT = Duration.ofSeconds(3);

  private RaftSettings() {}

  static RaftProperties server(QuorumConfig config) {
    RaftProperties properties = new RaftProperties();
    // One storage directory per member: the default is shared under /tmp.
    RaftServerConfigKeys.setStorageDir(properties, List.of(config.metadataDir().toFile()));
    // The default binds every interface.
    GrpcConfigKeys.Server.setHost(properties, config.raftHost());
    GrpcConfigKeys.Server.setPort(properties, config.raftPort());

    // Ratis' default 150-300 ms elections churn on a loaded machine; 1-2 s does not, and a
    // short first timeout still gets a new cluster a leader quickly.
    RaftServerConfigKeys.Rpc.setTimeoutMin(properties, duration(config.electionTimeoutMin()));
    RaftServerConfigKeys.Rpc.setTimeoutMax(properties, duration(config.electionTimeoutMax()));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(properties, duration(config.firstElectionTimeoutMin()));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(properties, duration(config.firstElectionTimeoutMax()));

    // DEFAULT, not LINEARIZABLE: read-only requests carry controller requests, and DEFAULT
    // makes Ratis hand them to the state machine only on the ready leader, which is where the
    // controller runs. (They do not read state that could be stale: the controller writes
    // through Raft and answers after its write is applied.)
    RaftServerConfigKeys.Read.setOption(properties, RaftServerConfigKeys.Read.Option.DEFAULT);

    // Snapshot every snapshotThreshold entries and purge the log up to the snapshot, even past
    // members that lag: they catch up by installing the snapshot, and a dead member cannot
    // make the log grow without bound.
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(properties, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(properties, config.snapshotThreshold());
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(properties, 2);
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(properties, true);
    RaftServerConfigKeys.Log.setPurgeGap(properties, config.logPurgeGap());
    SizeInBytes segmentSize = SizeInBytes.valueOf(config.logSegmentSizeBytes());
    RaftServerConfigKeys.Log.setSegmentSizeMax(properties, segmentSize);
    long preallocated = Math.min(config.logSegmentSizeBytes(), RaftServerConfigKeys.Log.preallocatedSize(properties).getSize());
    RaftServerConfigKeys.Log.setPreallocatedSize(properties, SizeInBytes.valueOf(preallocated));
    RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(properties, true);
    return properties;
  }

  /**
   * The Ratis parameters for TLS: the same managers for the server side, the member-to-member
   * client side (appends, votes, snapshot installs), the admin port and this broker's own Raft
   * clients, with client certificates required everywhere.
   */
  static Parameters parameters(QuorumConfig config) {
    Parameters parameters = new Parameters();
    config.tls().ifPresent(tls -> {
      GrpcTlsConfig conf = new GrpcTlsConfig(tls.keyManager(), tls.trustManager(), true);
      GrpcConfigKeys.TLS.setConf(parameters, conf);
      GrpcConfigKeys.Server.setTlsConf(parameters, conf);
      GrpcConfigKeys.Client.setTlsConf(parameters, conf);
      GrpcConfigKeys.Admin.setTlsConf(parameters, conf);
    });
    return parameters;
  }

  static RaftProperties client() {
    RaftProperties properties = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(properties, duration(CLIENT_REQUEST_TIMEOUT));
    return properties;
  }

  private static TimeDuration duration(Duration duration) {
    return TimeDuration.valueOf(duration.toMillis(), TimeUnit.MILLISECONDS);
  }
}
