package dev.skein.cli;

import dev.skein.broker.BrokerConfig;
import dev.skein.broker.HostPort;
import dev.skein.broker.SkeinBroker;
import dev.skein.broker.metrics.MetricsConfig;
import dev.skein.broker.tls.ClientAuth;
import dev.skein.broker.tls.TlsConfig;
import dev.skein.cli.console.ConsoleServer;
import dev.skein.metadata.QuorumConfig;
import dev.skein.metadata.QuorumVoter;
import dev.skein.storage.log.LogConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code skein dev}: a local cluster in one process, for trying things out. */
@Command(name = "dev", mixinStandardHelpOptions = true,
    description = {"Run a local cluster on loopback in this process until Ctrl-C.",
        "Broker i (from 1) serves clients on port BASE+2(i-1), its metadata quorum member on the next port and /metrics on "
            + "METRICS_BASE+(i-1); "
            + "the web console on CONSOLE_BASE+(i-1); the first three brokers vote, any others follow the quorum as listeners. Data survives restarts "
            + "unless --clean is given."})
final class DevCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--brokers", defaultValue = "3", paramLabel = "N", description = "Number of brokers. Default: ${DEFAULT-VALUE}.")
  int brokers;

  @Option(names = "--base-port", defaultValue = "9092", paramLabel = "PORT", description = "Port of broker 1. Default: ${DEFAULT-VALUE}.")
  int basePort;

  @Option(names = "--data-dir", defaultValue = "./dev-data", paramLabel = "DIR",
      description = "Each broker keeps its data in DIR/broker-<id>. Default: ${DEFAULT-VALUE}.")
  Path dataDir;

  @Option(names = "--clean", description = "Delete the data directory first.")
  boolean clean;

  @Option(names = "--num-partitions", defaultValue = "1", paramLabel = "N",
      description = "Partitions of a topic created without a count. Default: ${DEFAULT-VALUE}.")
  int numPartitions;

  @Option(names = "--metrics-base-port", defaultValue = "9644", paramLabel = "PORT",
      description = "Broker i serves /metrics on PORT+(i-1); 0 turns the endpoints off. Default: ${DEFAULT-VALUE}.")
  int metricsBasePort;

  @Option(names = "--tls", description = "TLS on every port: makes a throwaway CA and certificates in DATA_DIR/tls "
      + "(kept across restarts; deleted with --clean) and prints the client settings.")
  boolean tls;

  @Option(names = "--tls-client-auth", defaultValue = "none", paramLabel = "none|requested|required",
      description = "With --tls: whether clients must present a certificate (one is made for them). "
          + "Default: ${DEFAULT-VALUE}.")
  String tlsClientAuth;

  @Option(names = "--console-base-port", defaultValue = "8080", paramLabel = "PORT",
      description = "Broker i serves the web console on PORT+(i-1); 0 turns the consoles off. Default: ${DEFAULT-VALUE}.")
  int consoleBasePort;

  @Option(names = "--console-writes", defaultValue = "true", arity = "0..1", paramLabel = "true|false",
      description = "Let the consoles create and delete topics and reset group offsets. Default: ${DEFAULT-VALUE} "
          + "(a dev cluster is for trying things).")
  boolean consoleWrites;

  @Override
  public Integer call() throws Exception {
    if (brokers < 1 || brokers > 9) {
      throw new IllegalArgumentException("--brokers must be between 1 and 9, got " + brokers);
    }
    if (clean) {
      deleteRecursively(dataDir);
    }
    List<BrokerConfig> configs = configs();
    List<SkeinBroker> started = new ArrayList<>();
    List<ConsoleServer> consoles = new ArrayList<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      consoles.forEach(ConsoleServer::close);
      stopAll(started);
    }, "skein-dev-shutdown"));
    CountDownLatch forever = new CountDownLatch(1);
    for (BrokerConfig config : configs) {
      started.add(SkeinBroker.start(config));
    }
    CompletableFuture.allOf(started.stream().map(SkeinBroker::ready).toArray(CompletableFuture[]::new))
        .get(60, TimeUnit.SECONDS);
    if (consoleBasePort > 0) {
      for (BrokerConfig config : configs) {
        consoles.add(ConsoleServer.start(new HostPort("localhost", consoleBasePort + config.nodeId() - 1),
            BrokerCommand.consoleClientSettings(config), consoleWrites, config.nodeId(), ConsoleServer.LIVE_INTERVAL));
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    String bootstrap = configs.stream().map(c -> c.advertised().toString()).collect(Collectors.joining(","));
    out.printf("Skein dev cluster: %d broker%s ready (data in %s).%n", brokers, brokers == 1 ? "" : "s",
        dataDir.toAbsolutePath().normalize());
    out.printf("Bootstrap: %s%n", bootstrap);
    if (metricsBasePort > 0) {
      out.printf("Metrics: %s%n", started.stream().map(b -> "http://localhost:" + b.metricsPort() + "/metrics")
          .collect(Collectors.joining(" ")));
    }
    if (!consoles.isEmpty()) {
      out.printf("Web console: %s%n", consoles.stream().map(c -> "http://localhost:" + c.port() + "/")
          .collect(Collectors.joining(" ")));
    }
    String tlsOptions = "";
    if (tls) {
      DevCertificates files = DevCertificates.in(tlsDir());
      out.printf("TLS: CA %s; client certificate %s, key %s%n", files.ca(), files.clientCertificate(),
          files.clientKey());
      out.printf("Java client settings: security.protocol=SSL ssl.ca.location=%s ssl.certificate.location=%s "
          + "ssl.key.location=%s%n", files.ca(), files.clientCertificate(), files.clientKey());
      tlsOptions = " --ssl-ca-location " + files.ca()
          + (ClientAuth.parse(tlsClientAuth) == ClientAuth.REQUIRED ? " --ssl-certificate-location "
              + files.clientCertificate() + " --ssl-key-location " + files.clientKey() : "");
    }
    out.println("Try: skein topic create --topic demo --partitions 13 --bootstrap " + configs.get(0).advertised()
        + tlsOptions);
    out.println("Press Ctrl-C to stop.");
    out.flush();
    forever.await();
    return 0;
  }

  private Path tlsDir() {
    return dataDir.resolve("tls").toAbsolutePath().normalize();
  }

  List<BrokerConfig> configs() {
    Optional<TlsConfig> tlsConfig = Optional.empty();
    if (tls) {
      DevCertificates files = DevCertificates.createIfMissing(tlsDir());
      tlsConfig = Optional.of(TlsConfig.of(files.brokerCertificate(), files.brokerKey(), files.ca())
          .withClientAuth(ClientAuth.parse(tlsClientAuth)));
    } else if (ClientAuth.parse(tlsClientAuth) != ClientAuth.NONE) {
      throw new IllegalArgumentException("--tls-client-auth needs --tls");
    }
    List<QuorumVoter> voters = new ArrayList<>();
    for (int id = 1; id <= Math.min(brokers, 3); id++) {
      voters.add(new QuorumVoter(id, "localhost", quorumPort(id)));
    }
    List<BrokerConfig> configs = new ArrayList<>();
    for (int id = 1; id <= brokers; id++) {
      int port = basePort + 2 * (id - 1);
      HostPort address = new HostPort("localhost", port);
      BrokerConfig.Builder builder = BrokerConfig.builder(id, dataDir.resolve("broker-" + id));
      tlsConfig.ifPresent(builder::tls);
      configs.add(builder
          .listen(address, address)
          .quorum(voters, new HostPort("localhost", quorumPort(id)))
          .topicDefaults(numPartitions, Math.min(brokers, 3), LogConfig.DEFAULT)
          .membership(QuorumConfig.DEFAULT_HEARTBEAT_INTERVAL, QuorumConfig.DEFAULT_SESSION_TIMEOUT,
              Duration.ofSeconds(5))
          .metrics(metricsBasePort > 0
              ? MetricsConfig.listenOn(new HostPort("localhost", metricsBasePort + id - 1), true)
              : MetricsConfig.NO_ENDPOINT)
          .build());
    }
    return configs;
  }

  private int quorumPort(int id) {
    return basePort + 2 * (id - 1) + 1;
  }

  /** Stops the whole cluster at once: no point handing leaderships to brokers that are stopping too. */
  private static void stopAll(List<SkeinBroker> brokers) {
    brokers.parallelStream().forEach(SkeinBroker::stopWithoutHandoff);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
