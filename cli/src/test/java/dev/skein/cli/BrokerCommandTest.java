package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.broker.BrokerConfig;
import dev.skein.broker.HostPort;
import dev.skein.metadata.QuorumVoter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** How flags and SKEIN_* variables become a broker's configuration. */
class BrokerCommandTest {

  static BrokerConfig parse(Map<String, String> env, String... args) {
    BrokerCommand command = new BrokerCommand();
    CommandLine cli = new CommandLine(command);
    cli.setDefaultValueProvider(new EnvironmentDefaults(env));
    cli.parseArgs(args);
    return command.config();
  }

  @Test
  void noFlagsMeansASingleNodeClusterInDotData() {
    BrokerConfig config = parse(Map.of());
    assertThat(config.nodeId()).isEqualTo(1);
    assertThat(config.listen()).isEqualTo(new HostPort("0.0.0.0", 9092));
    assertThat(config.advertised()).isEqualTo(new HostPort("localhost", 9092));
    assertThat(config.voters()).containsExactly(new QuorumVoter(1, "localhost", 9093));
    assertThat(config.quorumListen()).isEqualTo(new HostPort("0.0.0.0", 9093));
    assertThat(config.dataDir()).isEqualTo(Path.of("./data"));
    assertThat(config.isVoter()).isTrue();
  }

  @Test
  void environmentVariablesConfigureContainers() {
    BrokerConfig config = parse(Map.of("SKEIN_NODE_ID", "2", "SKEIN_ADVERTISED_ADDRESS", "skein-2:9092",
        "SKEIN_QUORUM_VOTERS", "1@skein-1:9093,2@skein-2:9093,3@skein-3:9093", "SKEIN_DATA_DIR", "/var/lib/skein",
        "SKEIN_LOG_SEGMENT_BYTES", "1048576"));
    assertThat(config.nodeId()).isEqualTo(2);
    assertThat(config.advertised()).isEqualTo(new HostPort("skein-2", 9092));
    assertThat(config.voters()).hasSize(3);
    assertThat(config.quorumListen()).isEqualTo(new HostPort("0.0.0.0", 9093));
    assertThat(config.dataDir()).isEqualTo(Path.of("/var/lib/skein"));
    assertThat(config.logDefaults().segmentBytes()).isEqualTo(1048576);
  }

  @Test
  void tlsFilesFromVariablesTurnTlsOnAndHalfAConfigurationIsRefused(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    assertThat(parse(Map.of()).tls()).isEmpty();
    for (String f : List.of("b.pem", "b-key.pem", "ca.pem", "crl.pem")) {
      java.nio.file.Files.writeString(dir.resolve(f), "-");
    }
    BrokerConfig config = parse(Map.of("SKEIN_TLS_CERT_FILE", dir.resolve("b.pem").toString(),
        "SKEIN_TLS_KEY_FILE", dir.resolve("b-key.pem").toString(), "SKEIN_TLS_CA_FILE", dir.resolve("ca.pem").toString(),
        "SKEIN_TLS_CLIENT_AUTH", "required", "SKEIN_TLS_CRL_FILE", dir.resolve("crl.pem").toString()),
        "--tls-refresh-interval-ms", "5000");
    var tls = config.tls().orElseThrow();
    assertThat(tls.certificateChain()).isEqualTo(dir.resolve("b.pem"));
    assertThat(tls.privateKey()).isEqualTo(dir.resolve("b-key.pem"));
    assertThat(tls.trustBundle()).isEqualTo(dir.resolve("ca.pem"));
    assertThat(tls.clientAuth()).isEqualTo(dev.skein.broker.tls.ClientAuth.REQUIRED);
    assertThat(tls.refreshInterval()).isEqualTo(java.time.Duration.ofSeconds(5));
    assertThat(tls.revocationList()).isEqualTo(dir.resolve("crl.pem"));
    assertThat(parse(Map.of("SKEIN_TLS_CERT_FILE", dir.resolve("b.pem").toString(), "SKEIN_TLS_KEY_FILE",
        dir.resolve("b-key.pem").toString(), "SKEIN_TLS_CA_FILE", dir.resolve("ca.pem").toString())).tls()
        .orElseThrow().revocationList()).as("no CRL unless one is named").isNull();
    assertThatThrownBy(() -> parse(Map.of(), "--tls-crl-file", dir.resolve("crl.pem").toString()))
        .hasMessageContaining("--tls-crl-file needs TLS");
    assertThatThrownBy(() -> parse(Map.of(), "--tls-cert-file", dir.resolve("b.pem").toString()))
        .hasMessageContaining("TLS needs all of --tls-cert-file, --tls-key-file and --tls-ca-file");
    assertThatThrownBy(() -> parse(Map.of(), "--tls-cert-file", dir.resolve("b.pem").toString(), "--tls-key-file",
        dir.resolve("b-key.pem").toString(), "--tls-ca-file", dir.resolve("missing.pem").toString()))
        .hasMessageContaining("--tls-ca-file " + dir.resolve("missing.pem") + " is not a readable file");
    assertThatThrownBy(() -> parse(Map.of(), "--tls-client-auth", "sometimes"))
        .hasMessageContaining("--tls-client-auth must be none, requested or required");
    assertThatThrownBy(() -> parse(Map.of(), "--tls-client-auth", "required"))
        .hasMessageContaining("--tls-client-auth needs TLS");
  }

  @Test
  void theAuthorizerIsOffUnlessTurnedOnAndTakesItsSettingsFromFlagsOrVariables() {
    BrokerConfig plain = parse(Map.of());
    assertThat(plain.security().authorizerEnabled()).isFalse();
    assertThat(plain.security().principalMappingRules().map("CN=alice")).contains("CN=alice");
    BrokerConfig secured = parse(Map.of("SKEIN_SUPER_USERS", "User:broker; User:admin",
        "SKEIN_SSL_PRINCIPAL_MAPPING_RULES", "RULE:^CN=([^,]+).*$/$1/L,DEFAULT"), "--authorizer", "acl",
        "--allow-everyone-if-no-acl-found");
    assertThat(secured.security().authorizerEnabled()).isTrue();
    assertThat(secured.security().superUsers()).containsExactlyInAnyOrder("User:broker", "User:admin");
    assertThat(secured.security().allowEveryoneIfNoAcl()).isTrue();
    assertThat(secured.security().principalMappingRules().map("CN=Alice,O=x")).contains("alice");
    assertThatThrownBy(() -> parse(Map.of(), "--authorizer", "opa")).hasMessageContaining("none or acl");
    assertThatThrownBy(() -> parse(Map.of(), "--authorizer", "acl", "--super-users", "admin"))
        .hasMessageContaining("must be User:<name>");
  }

  @Test
  void cleanerFlagsConfigureCompaction() {
    assertThat(parse(Map.of()).cleaner().threads()).isEqualTo(1);
    assertThat(parse(Map.of()).cleaner().ioMaxBytesPerSecond()).isInfinite();
    var cleaner = parse(Map.of("SKEIN_LOG_CLEANER_THREADS", "2"), "--log-cleaner-dedupe-buffer-size", "1048576",
        "--log-cleaner-io-max-bytes-per-second", "5000000", "--log-cleaner-backoff-ms", "100").cleaner();
    assertThat(cleaner.threads()).isEqualTo(2);
    assertThat(cleaner.dedupeBufferSize()).isEqualTo(1048576);
    assertThat(cleaner.ioMaxBytesPerSecond()).isEqualTo(5_000_000);
    assertThat(cleaner.backoff()).isEqualTo(java.time.Duration.ofMillis(100));
  }

  @Test
  void metricsListenOn9644UnlessTurnedOff() {
    assertThat(parse(Map.of()).metrics().listen()).contains(new HostPort("0.0.0.0", 9644));
    assertThat(parse(Map.of()).metrics().partitionLevel()).isTrue();
    var metrics = parse(Map.of("SKEIN_METRICS_LISTEN", "127.0.0.1:9700", "SKEIN_METRICS_PARTITION_LEVEL", "false"))
        .metrics();
    assertThat(metrics.listen()).contains(new HostPort("127.0.0.1", 9700));
    assertThat(metrics.partitionLevel()).isFalse();
    assertThat(parse(Map.of(), "--metrics-listen", "none").metrics().listen()).isEmpty();
  }

  static BrokerCommand parseCommand(Map<String, String> env, String... args) {
    BrokerCommand command = new BrokerCommand();
    CommandLine cli = new CommandLine(command);
    cli.setDefaultValueProvider(new EnvironmentDefaults(env));
    cli.parseArgs(args);
    return command;
  }

  @Test
  void consoleListensOn8080ReadOnlyUnlessTold() {
    BrokerCommand defaults = parseCommand(Map.of());
    assertThat(BrokerCommand.consoleAddress(defaults.consoleListen)).contains(new HostPort("0.0.0.0", 8080));
    assertThat(defaults.consoleWrites).isFalse();
    BrokerCommand fromEnv = parseCommand(Map.of("SKEIN_CONSOLE_LISTEN", "127.0.0.1:18080",
        "SKEIN_CONSOLE_WRITES", "true"));
    assertThat(BrokerCommand.consoleAddress(fromEnv.consoleListen)).contains(new HostPort("127.0.0.1", 18080));
    assertThat(fromEnv.consoleWrites).isTrue();
    assertThat(parseCommand(Map.of(), "--console-writes").consoleWrites).isTrue();
    assertThat(BrokerCommand.consoleAddress(parseCommand(Map.of(), "--console-listen", "none").consoleListen))
        .isEmpty();
  }

  @Test
  void flagsBeatTheEnvironment() {
    assertThat(parse(Map.of("SKEIN_NODE_ID", "2"), "--node-id", "7", "--quorum-voters", "7@h:9999").nodeId())
        .isEqualTo(7);
  }

  @Test
  void aNonVoterBindsItsRaftPortOnItsAdvertisedHost() {
    BrokerConfig config = parse(Map.of(), "--node-id", "4", "--advertised-address", "skein-4:9092",
        "--quorum-voters", "1@skein-1:9093,2@skein-2:9093,3@skein-3:9093");
    assertThat(config.isVoter()).isFalse();
    assertThat(config.quorumListen()).isEqualTo(new HostPort("skein-4", 9093));
  }

  @Test
  void badValuesAreExplained() {
    assertThatThrownBy(() -> parse(Map.of(), "--quorum-voters", "one@host"))
        .hasMessageContaining("one@host");
    assertThatThrownBy(() -> parse(Map.of(), "--listen", "nohost"))
        .hasMessageContaining("expected HOST:PORT");
    assertThatThrownBy(() -> parse(Map.of(), "--num-partitions", "0"))
        .hasMessageContaining("num.partitions must be at least 1");
  }
  @Test
  void limitFlagsAndVariablesConfigureTheClientPort() {
    assertThat(parse(Map.of()).limits()).isEqualTo(dev.skein.broker.limits.ServerLimits.DEFAULT);
    BrokerConfig config = parse(Map.of("SKEIN_MAX_CONNECTIONS_PER_IP", "20",
        "SKEIN_MAX_CONNECTIONS_PER_IP_OVERRIDES", "127.0.0.1:50,[::1]:7"),
        "--max-inbound-message-bytes", "2097152", "--stream-idle-timeout-ms", "30000");
    assertThat(config.limits().maxConnectionsPerIp()).isEqualTo(20);
    assertThat(config.limits().maxConnectionsPerIpOverrides()).containsEntry("127.0.0.1", 50).containsEntry("::1", 7);
    assertThat(config.limits().maxInboundMessageBytes()).isEqualTo(2097152);
    assertThat(config.limits().streamIdleTimeout()).isEqualTo(java.time.Duration.ofSeconds(30));
    assertThatThrownBy(() -> parse(Map.of(), "--max-connections-per-ip-overrides", "host-without-limit"))
        .hasMessageContaining("HOST:LIMIT");
    assertThatThrownBy(() -> parse(Map.of(), "--max-connections-per-ip", "0"))
        .hasMessageContaining("max.connections.per.ip must be at least 1");
  }

  @Test
  void principalConnectionQuotaFlagsAndVariables() {
    assertThat(parse(Map.of()).limits().maxConnectionsPerPrincipal()).isEqualTo(Integer.MAX_VALUE);
    assertThat(parse(Map.of()).limits().maxConnectionsPerPrincipalOverrides()).isEmpty();
    BrokerConfig config = parse(Map.of("SKEIN_MAX_CONNECTIONS_PER_PRINCIPAL", "20",
        "SKEIN_MAX_CONNECTIONS_PER_PRINCIPAL_OVERRIDES", "User:CN=etl=50,User:ANONYMOUS=5"));
    assertThat(config.limits().maxConnectionsPerPrincipal()).isEqualTo(20);
    assertThat(config.limits().maxConnectionsPerPrincipalOverrides()).containsOnly(Map.entry("User:CN=etl", 50),
        Map.entry("User:ANONYMOUS", 5));
    // A subject by the DEFAULT rule has commas; the flag beats the variable.
    config = parse(Map.of("SKEIN_MAX_CONNECTIONS_PER_PRINCIPAL_OVERRIDES", "User:x=1"),
        "--max-connections-per-principal-overrides", "User:CN=etl,OU=data=7, User:alice=0");
    assertThat(config.limits().maxConnectionsPerPrincipalOverrides()).containsOnly(
        Map.entry("User:CN=etl,OU=data", 7), Map.entry("User:alice", 0));

    assertThatThrownBy(() -> parse(Map.of(), "--max-connections-per-principal-overrides", "CN=etl=50"))
        .hasMessageContaining("max.connections.per.principal.overrides: 'CN=etl=50' is not User:<name>=LIMIT");
    assertThatThrownBy(() -> parse(Map.of(), "--max-connections-per-principal-overrides", "User:etl"))
        .hasMessageContaining("'User:etl' is not User:<name>=LIMIT");
    assertThatThrownBy(() -> parse(Map.of(), "--max-connections-per-principal-overrides", "User:etl=lots"))
        .hasMessageContaining("'User:etl=lots' does not end in =LIMIT, a number of connections");
    assertThatThrownBy(() -> parse(Map.of(), "--max-connections-per-principal-overrides", "User:a=1,user:b=2"))
        .hasMessageContaining("'user:b=2' is not User:<name>=LIMIT");
    assertThatThrownBy(() -> parse(Map.of(), "--max-connections-per-principal-overrides", "User:a=-1"))
        .hasMessageContaining("max.connections.per.principal.overrides (User:a) must be at least 0, got -1");
    assertThatThrownBy(() -> parse(Map.of(), "--max-connections-per-principal", "0"))
        .hasMessageContaining("max.connections.per.principal must be at least 1");
  }

  @Test
  void superUsersAreReadWithoutTheAuthorizerForTheConnectionQuota() {
    BrokerConfig config = parse(Map.of("SKEIN_SUPER_USERS", "User:broker;User:admin"));
    assertThat(config.security().authorizerEnabled()).isFalse();
    assertThat(config.security().superUsers()).containsExactlyInAnyOrder("User:broker", "User:admin");
    assertThatThrownBy(() -> parse(Map.of(), "--super-users", "broker"))
        .hasMessageContaining("super user 'broker' must be User:<name>");
  }

  @Test
  void scramAuthenticationIsOffByDefaultAndRequiringAuthenticationNeedsTlsWithClientCertificates(
      @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    var none = parse(Map.of()).security().authentication();
    assertThat(none.scram()).isFalse();
    assertThat(none.required()).isFalse();
    for (String f : List.of("b.pem", "b-key.pem", "ca.pem")) {
      java.nio.file.Files.writeString(dir.resolve(f), "-");
    }
    String[] tls = {"--tls-cert-file", dir.resolve("b.pem").toString(), "--tls-key-file",
        dir.resolve("b-key.pem").toString(), "--tls-ca-file", dir.resolve("ca.pem").toString()};
    var scram = parse(Map.of("SKEIN_AUTHENTICATION", "scram", "SKEIN_SCRAM_TOKEN_LIFETIME_MS", "60000"),
        concat(tls, "--tls-client-auth", "requested", "--require-authentication", "--console-listen", "none"))
        .security().authentication();
    assertThat(scram.scram()).isTrue();
    assertThat(scram.required()).isTrue();
    assertThat(scram.allowPlaintext()).isFalse();
    assertThat(scram.tokenLifetime()).isEqualTo(java.time.Duration.ofMinutes(1));
    // The console has no login: with authentication required it may only listen on loopback.
    assertThatThrownBy(() -> parse(Map.of(), concat(tls, "--tls-client-auth", "requested",
        "--require-authentication")))
        .hasMessageContaining("--require-authentication with the web console on 0.0.0.0:8080")
        .hasMessageContaining("--console-listen none");
    assertThat(parse(Map.of(), concat(tls, "--tls-client-auth", "requested", "--require-authentication",
        "--console-listen", "127.0.0.1:8080")).security().authentication().required()).isTrue();
    assertThatThrownBy(() -> parse(Map.of(), "--require-authentication"))
        .hasMessageContaining("--require-authentication needs TLS with --tls-client-auth requested or required");
    assertThatThrownBy(() -> parse(Map.of(), concat(tls, "--require-authentication")))
        .hasMessageContaining("--require-authentication needs TLS");
    assertThatThrownBy(() -> parse(Map.of(), "--authentication", "kerberos"))
        .hasMessageContaining("--authentication must be none or scram");
    assertThatThrownBy(() -> parse(Map.of(), "--scram-allow-plaintext"))
        .hasMessageContaining("--scram-allow-plaintext needs --authentication=scram");
    assertThat(parse(Map.of(), "--authentication", "scram", "--scram-allow-plaintext").security().authentication()
        .allowPlaintext()).isTrue();
  }

  private static String[] concat(String[] first, String... more) {
    String[] all = java.util.Arrays.copyOf(first, first.length + more.length);
    System.arraycopy(more, 0, all, first.length, more.length);
    return all;
  }
}
