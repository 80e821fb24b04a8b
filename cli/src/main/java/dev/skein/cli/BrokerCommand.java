package dev.skein.cli;

import dev.skein.broker.BrokerConfig;
import dev.skein.broker.HostPort;
import dev.skein.broker.group.GroupConfig;
import dev.skein.broker.metrics.MetricsConfig;
import dev.skein.broker.SkeinBroker;
import dev.skein.cli.console.ConsoleServer;
import dev.skein.broker.replica.ReplicationConfig;
import dev.skein.broker.auth.PrincipalMappingRules;
import dev.skein.broker.auth.SecurityConfig;
import dev.skein.broker.tls.ClientAuth;
import dev.skein.broker.tls.TlsConfig;
import dev.skein.metadata.QuorumVoter;
import dev.skein.storage.log.LogCleanerConfig;
import dev.skein.storage.log.LogConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code skein broker}: run one broker until SIGTERM or Ctrl-C. */
@Command(name = "broker", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Run a broker until it gets SIGTERM or Ctrl-C, then stop cleanly (leaderships handed over, "
        + "logs flushed, state checkpointed).",
        "With no options it starts a single-node cluster: node 1, clients on port 9092, the metadata quorum "
            + "on 9093, data in ./data."})
final class BrokerCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--node-id", defaultValue = "1", paramLabel = "ID",
      description = "This broker's id, unique in the cluster (Kafka: node.id). Default: ${DEFAULT-VALUE}.")
  int nodeId;

  @Option(names = "--listen", defaultValue = "0.0.0.0:9092", paramLabel = "HOST:PORT",
      description = "Where the gRPC service binds. Default: ${DEFAULT-VALUE}.")
  String listen;

  @Option(names = "--advertised-address", paramLabel = "HOST:PORT",
      description = "Where clients and other brokers reach this broker (Kafka: advertised.listeners). "
          + "Default: the --listen address, with localhost for a wildcard host.")
  String advertised;

  @Option(names = "--quorum-voters", paramLabel = "ID@HOST:PORT,...",
      description = "The metadata quorum's voters (KRaft: controller.quorum.voters). A broker not listed follows "
          + "the quorum without voting. Default: <node-id>@localhost:9093.")
  String quorumVoters;

  @Option(names = "--quorum-listen", paramLabel = "HOST:PORT",
      description = "Where this broker's Raft endpoint binds. Default: 0.0.0.0 and the port of its voter entry; "
          + "for a non-voter, the advertised host and port 9093.")
  String quorumListen;

  @Option(names = "--data-dir", defaultValue = "./data", paramLabel = "DIR",
      description = "Logs, state and metadata live here (Kafka: log.dirs). Default: ${DEFAULT-VALUE}.")
  Path dataDir;

  @Option(names = "--rack", defaultValue = "", paramLabel = "RACK", description = "This broker's rack (broker.rack).")
  String rack;

  @Option(names = "--num-partitions", defaultValue = "1", paramLabel = "N",
      description = "Partitions of a topic created without a count. Default: ${DEFAULT-VALUE}.")
  int numPartitions;

  @Option(names = "--default-replication-factor", defaultValue = "1", paramLabel = "N",
      description = "Replicas of a topic created without a factor. Default: ${DEFAULT-VALUE}.")
  int defaultReplicationFactor;

  @Option(names = "--log-segment-bytes", paramLabel = "BYTES",
      description = "Default segment.bytes: roll a segment at this size (Kafka: log.segment.bytes). Default: 1 GiB.")
  Integer segmentBytes;

  @Option(names = "--log-roll-ms", paramLabel = "MS",
      description = "Default segment.ms: roll a segment this old (Kafka: log.roll.ms). Default: 7 days.")
  Long segmentMs;

  @Option(names = "--log-retention-ms", paramLabel = "MS",
      description = "Default retention.ms (Kafka: log.retention.ms; -1 keeps forever). Default: 7 days.")
  Long retentionMs;

  @Option(names = "--log-retention-bytes", paramLabel = "BYTES",
      description = "Default retention.bytes per partition (Kafka: log.retention.bytes; -1: no limit).")
  Long retentionBytes;

  @Option(names = "--message-max-bytes", paramLabel = "BYTES",
      description = "Default max.message.bytes: the largest batch a topic accepts (Kafka: message.max.bytes). "
          + "Default: 1048588.")
  Integer messageMaxBytes;

  @Option(names = "--log-flush-interval-messages", paramLabel = "N",
      description = "Default flush.messages: fsync after this many records. Default: never (rely on the page cache "
          + "and replication; fsync on segment roll and clean shutdown).")
  Long flushMessages;

  @Option(names = "--log-flush-interval-ms", paramLabel = "MS",
      description = "Default flush.ms: fsync at least this often. Default: never.")
  Long flushMs;

  @Option(names = "--broker-heartbeat-interval-ms", defaultValue = "250", paramLabel = "MS",
      description = "How often the broker heartbeats to the controller. Default: ${DEFAULT-VALUE}.")
  long heartbeatIntervalMs;

  @Option(names = "--broker-session-timeout-ms", defaultValue = "2000", paramLabel = "MS",
      description = "The controller fences a broker silent this long and moves its leaderships. "
          + "Default: ${DEFAULT-VALUE}.")
  long sessionTimeoutMs;

  @Option(names = "--controlled-shutdown-timeout-ms", defaultValue = "30000", paramLabel = "MS",
      description = "How long a stopping broker waits for its leaderships to move. Default: ${DEFAULT-VALUE}.")
  long controlledShutdownTimeoutMs;

  @Option(names = "--replica-lag-time-max-ms", defaultValue = "10000", paramLabel = "MS",
      description = "A follower that has not caught up with its leader for this long leaves the ISR "
          + "(replica.lag.time.max.ms). Default: ${DEFAULT-VALUE}.")
  long replicaLagTimeMaxMs;

  @Option(names = "--auto-leader-rebalance-enable", defaultValue = "true", arity = "1", paramLabel = "true|false",
      description = "Move leaderships back to each partition's preferred (first) replica once it is in sync again "
          + "(auto.leader.rebalance.enable). Default: ${DEFAULT-VALUE}.")
  boolean autoLeaderRebalance;

  @Option(names = "--leader-imbalance-check-interval-ms", defaultValue = "5000", paramLabel = "MS",
      description = "How often the controller looks for leaderships to move back. Default: ${DEFAULT-VALUE}.")
  long leaderImbalanceCheckIntervalMs;

  @Option(names = "--log-retention-check-interval-ms", defaultValue = "300000", paramLabel = "MS",
      description = "How often logs are checked against retention.ms and retention.bytes, and quiet segments "
          + "rolled by segment.ms (log.retention.check.interval.ms). Default: ${DEFAULT-VALUE}.")
  long retentionCheckIntervalMs;

  @Option(names = "--group-consumer-session-timeout-ms", defaultValue = "45000", paramLabel = "MS",
      description = "A group member silent this long is removed and its partitions reassigned "
          + "(group.consumer.session.timeout.ms). Default: ${DEFAULT-VALUE}.")
  long groupSessionTimeoutMs;

  @Option(names = "--group-consumer-heartbeat-interval-ms", defaultValue = "5000", paramLabel = "MS",
      description = "How often settled group members heartbeat (group.consumer.heartbeat.interval.ms). "
          + "Default: ${DEFAULT-VALUE}.")
  long groupHeartbeatIntervalMs;

  @Option(names = "--offsets-topic-num-partitions", defaultValue = "50", paramLabel = "N",
      description = "Partitions of __consumer_offsets when it is created (offsets.topic.num.partitions). "
          + "Default: ${DEFAULT-VALUE}.")
  int offsetsTopicPartitions;

  @Option(names = "--offsets-topic-replication-factor", defaultValue = "3", paramLabel = "N",
      description = "Its replication factor, at most the number of brokers (offsets.topic.replication.factor). "
          + "Default: ${DEFAULT-VALUE}.")
  int offsetsTopicReplicationFactor;

  @Option(names = "--offsets-retention-minutes", defaultValue = "10080", paramLabel = "MIN",
      description = "How long the offsets of a group without members are kept (offsets.retention.minutes). "
          + "Default: ${DEFAULT-VALUE} (7 days).")
  long offsetsRetentionMinutes;

  @Option(names = "--log-cleaner-threads", defaultValue = "1", paramLabel = "N",
      description = "Threads compacting logs of topics with cleanup.policy=compact; 0 turns compaction off "
          + "(log.cleaner.threads). Default: ${DEFAULT-VALUE}.")
  int cleanerThreads;

  @Option(names = "--log-cleaner-dedupe-buffer-size", defaultValue = "134217728", paramLabel = "BYTES",
      description = "Memory for the cleaners' key to offset maps, shared by the threads "
          + "(log.cleaner.dedupe.buffer.size). Default: ${DEFAULT-VALUE}.")
  long cleanerDedupeBufferSize;

  @Option(names = "--log-cleaner-io-max-bytes-per-second", paramLabel = "BYTES",
      description = "Limit on the cleaners' read plus write rate (log.cleaner.io.max.bytes.per.second). "
          + "Default: no limit.")
  Double cleanerIoMaxBytesPerSecond;

  @Option(names = "--log-cleaner-backoff-ms", defaultValue = "15000", paramLabel = "MS",
      description = "How long a cleaner rests when no log needs cleaning (log.cleaner.backoff.ms). "
          + "Default: ${DEFAULT-VALUE}.")
  long cleanerBackoffMs;

  @Option(names = "--metrics-listen", defaultValue = "0.0.0.0:9644", paramLabel = "HOST:PORT|none",
      description = "Where the HTTP endpoint for Prometheus (/metrics) and run-time log levels (/loglevel) binds; "
          + "none turns it off. Default: ${DEFAULT-VALUE}.")
  String metricsListen;

  @Option(names = "--metrics-partition-level", defaultValue = "true", arity = "1", paramLabel = "true|false",
      description = "Export series per partition (log size and offsets, follower lag, group lag per partition). "
          + "Turn off for brokers with very many partitions. Default: ${DEFAULT-VALUE}.")
  boolean metricsPartitionLevel;

  @Option(names = "--tls-cert-file", paramLabel = "PEM",
      description = "This broker's certificate chain (PEM). With --tls-key-file and --tls-ca-file it turns TLS on for "
          + "clients, replication and the metadata quorum. The certificate must name every address brokers and "
          + "clients use, and allow both server and client authentication.")
  Path tlsCertFile;

  @Option(names = "--tls-key-file", paramLabel = "PEM", description = "Its private key (PKCS#8 PEM, unencrypted).")
  Path tlsKeyFile;

  @Option(names = "--tls-ca-file", paramLabel = "PEM",
      description = "CA certificates (PEM) trusted for brokers' and clients' certificates.")
  Path tlsCaFile;

  @Option(names = "--tls-crl-file", paramLabel = "PEM",
      description = "Certificate revocation lists (PEM), each signed by a CA of --tls-ca-file: brokers and clients "
          + "presenting a certificate they list are refused. Re-read with the other TLS files when it changes.")
  Path tlsCrlFile;

  @Option(names = "--tls-client-auth", defaultValue = "none", paramLabel = "none|requested|required",
      description = "Whether clients must present a certificate signed by a trusted CA. The metadata quorum and "
          + "replication always require the broker certificate. Default: ${DEFAULT-VALUE}.")
  String tlsClientAuth;

  @Option(names = "--tls-refresh-interval-ms", defaultValue = "60000", paramLabel = "MS",
      description = "How often the TLS files are checked for changes; new connections use changed files "
          + "without a restart. Default: ${DEFAULT-VALUE}.")
  long tlsRefreshIntervalMs;

  @Option(names = "--ssl-principal-mapping-rules", defaultValue = "DEFAULT", paramLabel = "RULES",
      description = "How a client certificate's subject becomes the user name of its principal User:<name> "
          + "(Kafka's ssl.principal.mapping.rules): RULE:regex/replacement/[L|U] and DEFAULT (the whole subject), "
          + "comma-separated, first match wins; e.g. 'RULE:^CN=([^,]+).*$/$1/L,DEFAULT'. Callers without a "
          + "certificate are User:ANONYMOUS. Default: ${DEFAULT-VALUE}.")
  String principalMappingRules;

  @Option(names = "--authorizer", defaultValue = "none", paramLabel = "none|acl",
      description = "acl checks every call against the ACLs in the metadata quorum (skein acl); none lets every "
          + "caller do everything. Default: ${DEFAULT-VALUE}.")
  String authorizer;

  @Option(names = "--super-users", defaultValue = "", paramLabel = "User:A;User:B",
      description = "Principals allowed everything, separated by semicolons (Kafka's super.users). With "
          + "--authorizer=acl the brokers' own principals (from their certificates) must be here, or be allowed "
          + "CLUSTER_ACTION on the cluster, for replication between brokers. Super users are never limited by "
          + "--max-connections-per-principal, with or without the authorizer.")
  String superUsers;

  @Option(names = "--allow-everyone-if-no-acl-found", defaultValue = "false", arity = "0..1",
      paramLabel = "true|false",
      description = "With --authorizer=acl: a resource that no ACL names is open to every principal "
          + "(allow.everyone.if.no.acl.found). Default: ${DEFAULT-VALUE}.")
  boolean allowEveryoneIfNoAclFound;

  @Option(names = "--authentication", defaultValue = "none", paramLabel = "none|scram",
      description = "scram serves the SCRAM-SHA-512 exchange (users from skein user create) and accepts its tokens, so "
          + "clients without a certificate can be User:<name>. Runs over TLS only, unless --scram-allow-plaintext. "
          + "Default: ${DEFAULT-VALUE}.")
  String authentication;

  @Option(names = "--require-authentication", defaultValue = "false", arity = "0..1", paramLabel = "true|false",
      description = "Refuse, with UNAUTHENTICATED, every call that has neither a client certificate nor a SCRAM "
          + "token (no User:ANONYMOUS). Brokers reach each other with their certificates, so this needs TLS with "
          + "--tls-client-auth requested or required. Default: ${DEFAULT-VALUE}.")
  boolean requireAuthentication;

  @Option(names = "--scram-allow-plaintext", defaultValue = "false", arity = "0..1", paramLabel = "true|false",
      description = "Let the SCRAM exchange and its tokens run over plaintext connections (Kafka's SASL_PLAINTEXT): "
          + "a token seen on the wire can be replayed until it expires. Default: ${DEFAULT-VALUE}.")
  boolean scramAllowPlaintext;

  @Option(names = "--scram-token-lifetime-ms", defaultValue = "3600000", paramLabel = "MS",
      description = "How long a token from the SCRAM exchange stays valid on the broker that issued it; clients "
          + "authenticate again before it runs out. Default: ${DEFAULT-VALUE}.")
  long scramTokenLifetimeMs;

  @Option(names = "--console-listen", defaultValue = "0.0.0.0:8080", paramLabel = "HOST:PORT|none",
      description = "Where the web console binds (brokers, quorum, topics, groups, a record browser; no "
          + "authentication yet); none turns it off. Default: ${DEFAULT-VALUE}.")
  String consoleListen;

  @Option(names = "--console-writes", defaultValue = "false", arity = "0..1", paramLabel = "true|false",
      description = "Let the web console create and delete topics and reset group offsets. Default: ${DEFAULT-VALUE} "
          + "(read-only).")
  boolean consoleWrites;

  @picocli.CommandLine.Mixin
  LimitOptions limits = new LimitOptions();

  @Override
  public Integer call() throws Exception {
    BrokerConfig config = config();
    Optional<HostPort> consoleAt = consoleAddress(consoleListen);
    SkeinBroker broker = SkeinBroker.start(config);
    // The console reads the cluster through the Java client aimed at this broker, as the CLI does.
    ConsoleServer console;
    try {
      console = consoleAt.isEmpty() ? null
          : ConsoleServer.start(consoleAt.get(), consoleClientSettings(config), consoleWrites, config.nodeId(),
              ConsoleServer.LIVE_INTERVAL);
    } catch (IOException | RuntimeException e) {
      // E.g. the port is taken: stop the broker cleanly rather than leave it running without its console.
      broker.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (console != null) {
        console.close();
      }
      broker.close();
      stopped.countDown();
    }, "skein-shutdown"));
    spec.commandLine().getErr().printf("Skein broker %d started: clients connect to %s%s (data in %s)%s%s%n",
        config.nodeId(), config.advertised(), config.tls().isPresent() ? " with TLS" : "",
        config.dataDir().toAbsolutePath().normalize(),
        broker.metricsPort() < 0 ? "" : "; metrics on port " + broker.metricsPort() + " (/metrics)",
        console == null ? "" : "; web console on port " + console.port() + (consoleWrites ? " (writes enabled)" : ""));
    spec.commandLine().getErr().flush();
    stopped.await();
    return 0;
  }

  BrokerConfig config() {
    HostPort listenAt = HostPort.parse(listen);
    HostPort advertisedAt = advertised != null ? HostPort.parse(advertised)
        : listenAt.isWildcard() ? new HostPort("localhost", listenAt.port()) : listenAt;
    List<QuorumVoter> voters = QuorumVoter.parseList(quorumVoters != null ? quorumVoters
        : nodeId + "@localhost:" + BrokerConfig.DEFAULT_QUORUM_PORT);
    HostPort quorumAt = quorumListen != null ? HostPort.parse(quorumListen)
        : voters.stream().filter(v -> v.id() == nodeId).findFirst()
            .map(v -> new HostPort("0.0.0.0", v.port()))
            .orElse(new HostPort(advertisedAt.host(), BrokerConfig.DEFAULT_QUORUM_PORT));
    Map<String, String> logSettings = new HashMap<>();
    putIfSet(logSettings, LogConfig.SEGMENT_BYTES, segmentBytes);
    putIfSet(logSettings, LogConfig.SEGMENT_MS, segmentMs);
    putIfSet(logSettings, LogConfig.RETENTION_MS, retentionMs);
    putIfSet(logSettings, LogConfig.RETENTION_BYTES, retentionBytes);
    putIfSet(logSettings, LogConfig.MAX_MESSAGE_BYTES, messageMaxBytes);
    putIfSet(logSettings, LogConfig.FLUSH_MESSAGES, flushMessages);
    putIfSet(logSettings, LogConfig.FLUSH_MS, flushMs);
    BrokerConfig.Builder builder = BrokerConfig.builder(nodeId, dataDir);
    tlsConfig().ifPresent(builder::tls);
    builder.security(securityConfig());
    return builder
        .listen(listenAt, advertisedAt)
        .quorum(voters, quorumAt)
        .rack(rack)
        .topicDefaults(numPartitions, defaultReplicationFactor, LogConfig.fromMap(logSettings, LogConfig.DEFAULT))
        .membership(Duration.ofMillis(heartbeatIntervalMs), Duration.ofMillis(sessionTimeoutMs),
            Duration.ofMillis(controlledShutdownTimeoutMs))
        .replication(ReplicationConfig.DEFAULT.withReplicaLagTimeMax(Duration.ofMillis(replicaLagTimeMaxMs)))
        .leaderRebalance(autoLeaderRebalance, Duration.ofMillis(leaderImbalanceCheckIntervalMs))
        .retentionCheckInterval(Duration.ofMillis(retentionCheckIntervalMs))
        .groups(GroupConfig.DEFAULT
            .withTimeouts(Duration.ofMillis(groupSessionTimeoutMs), Duration.ofMillis(groupHeartbeatIntervalMs))
            .withOffsetsTopic(offsetsTopicPartitions, offsetsTopicReplicationFactor)
            .withOffsetsRetention(Duration.ofMinutes(offsetsRetentionMinutes)))
        .cleaner(LogCleanerConfig.DEFAULT.withThreads(cleanerThreads)
            .withDedupeBufferSize(cleanerDedupeBufferSize)
            .withIoMaxBytesPerSecond(cleanerIoMaxBytesPerSecond == null ? Double.POSITIVE_INFINITY
                : cleanerIoMaxBytesPerSecond)
            .withBackoff(Duration.ofMillis(cleanerBackoffMs)))
        .metrics(metricsConfig(metricsListen, metricsPartitionLevel))
        .limits(limits.toLimits())
        .build();
  }

  /** TLS when all three files are named; none when none is; a usage error otherwise. */
  SecurityConfig securityConfig() {
    // Super users are read with the authorizer off too: they are exempt from the connection quota per principal.
    SecurityConfig security = SecurityConfig.DEFAULT.withPrincipalMappingRules(
        PrincipalMappingRules.parse(principalMappingRules)).withSuperUsers(SecurityConfig.parseSuperUsers(superUsers))
        .withAuthentication(authenticationConfig());
    return switch (authorizer.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "none", "" -> security;
      case "acl" -> security.withAuthorizer(security.superUsers(), allowEveryoneIfNoAclFound);
      default -> throw new IllegalArgumentException("--authorizer must be none or acl, got '" + authorizer + "'");
    };
  }

  SecurityConfig.Authentication authenticationConfig() {
    boolean scram = switch (authentication.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "none", "" -> false;
      case "scram" -> true;
      default -> throw new IllegalArgumentException("--authentication must be none or scram, got '" + authentication
          + "'");
    };
    if (requireAuthentication && (tlsConfig().isEmpty() || ClientAuth.parse(tlsClientAuth) == ClientAuth.NONE)) {
      throw new IllegalArgumentException("--require-authentication needs TLS with --tls-client-auth requested or "
          + "required: brokers authenticate to each other with their certificates");
    }
    consoleAddress(consoleListen).filter(at -> requireAuthentication && !isLoopback(at.host())).ifPresent(at -> {
      throw new IllegalArgumentException("--require-authentication with the web console on " + at + ": the console "
          + "has no login and reads the cluster as this broker, so it would let anyone past the authentication. "
          + "Give --console-listen 127.0.0.1:8080 (then reach it through an SSH tunnel or a proxy that "
          + "authenticates) or --console-listen none");
    });
    if (scramAllowPlaintext && !scram) {
      throw new IllegalArgumentException("--scram-allow-plaintext needs --authentication=scram");
    }
    return new SecurityConfig.Authentication(scram, requireAuthentication, scramAllowPlaintext,
        Duration.ofMillis(scramTokenLifetimeMs));
  }

  Optional<TlsConfig> tlsConfig() {
    int named = (tlsCertFile != null ? 1 : 0) + (tlsKeyFile != null ? 1 : 0) + (tlsCaFile != null ? 1 : 0);
    ClientAuth auth = ClientAuth.parse(tlsClientAuth);
    if (named == 0) {
      if (tlsCrlFile != null) {
        throw new IllegalArgumentException("--tls-crl-file needs TLS: give --tls-cert-file, --tls-key-file and "
            + "--tls-ca-file");
      }
      if (auth != ClientAuth.NONE) {
        throw new IllegalArgumentException("--tls-client-auth needs TLS: give --tls-cert-file, --tls-key-file and "
            + "--tls-ca-file");
      }
      return Optional.empty();
    }
    if (named < 3) {
      throw new IllegalArgumentException("TLS needs all of --tls-cert-file, --tls-key-file and --tls-ca-file");
    }
    TlsConfig tls = TlsConfig.of(tlsCertFile, tlsKeyFile, tlsCaFile).withClientAuth(auth)
        .withRefreshInterval(Duration.ofMillis(tlsRefreshIntervalMs)).withRevocationList(tlsCrlFile);
    tls.requireReadable();
    return Optional.of(tls);
  }

  /**
   * How the console's client reaches this broker: its advertised address and, with TLS, the
   * broker's own certificate (which also serves as a client certificate) and CA.
   */
  static Map<String, String> consoleClientSettings(BrokerConfig config) {
    Map<String, String> settings = new HashMap<>(Map.of("bootstrap.servers", config.advertised().toString()));
    config.tls().ifPresent(tls -> settings.putAll(Map.of("security.protocol", "SSL",
        "ssl.ca.location", tls.trustBundle().toString(),
        "ssl.certificate.location", tls.certificateChain().toString(),
        "ssl.key.location", tls.privateKey().toString())));
    return settings;
  }

  private static boolean isLoopback(String host) {
    try {
      return java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** The console's address, or empty for {@code none}. */
  static Optional<HostPort> consoleAddress(String listen) {
    if (listen == null || listen.isBlank() || listen.trim().equalsIgnoreCase("none")) {
      return Optional.empty();
    }
    return Optional.of(HostPort.parse(listen.trim()));
  }

  static MetricsConfig metricsConfig(String listen, boolean partitionLevel) {
    if (listen == null || listen.isBlank() || listen.trim().equalsIgnoreCase("none")) {
      return new MetricsConfig(java.util.Optional.empty(), partitionLevel);
    }
    return MetricsConfig.listenOn(HostPort.parse(listen), partitionLevel);
  }

  private static void putIfSet(Map<String, String> settings, String key, Object value) {
    if (value != null) {
      settings.put(key, value.toString());
    }
  }
}
