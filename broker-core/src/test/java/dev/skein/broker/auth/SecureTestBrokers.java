package dev.skein.broker.auth;

import static dev.skein.broker.cluster.TestCluster.freePorts;

import dev.skein.broker.BrokerConfig;
import dev.skein.broker.HostPort;
import dev.skein.broker.SkeinBroker;
import dev.skein.broker.limits.ServerLimits;
import dev.skein.broker.tls.CertificateAuthority;
import dev.skein.broker.tls.ClientAuth;
import dev.skein.broker.tls.TlsConfig;
import dev.skein.metadata.QuorumVoter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Brokers on loopback with TLS on every port, all of them voting, for the tests of principals,
 * authentication, authorization and per-principal quotas. In {@code dir}: {@code ca.pem}, the
 * certificate of a new CA the tests issue client certificates from, {@code broker.pem} and
 * {@code broker-key.pem} (CN=broker, for localhost), and each broker's data in {@code broker-<id>}.
 *
 * <p>Not {@link dev.skein.broker.cluster.TestCluster}: that one sets its own membership,
 * rebalancing, cleaner and metrics settings and replication factor 1, and its clients speak
 * plaintext; these tests want the broker defaults and every topic on every broker.
 */
public record SecureTestBrokers(CertificateAuthority ca, List<SkeinBroker> brokers) implements AutoCloseable {

  /**
   * Starts {@code count} brokers with these client-authentication, security and limit settings,
   * and waits until every one serves. If one does not, those started are stopped again.
   */
  public static SecureTestBrokers start(Path dir, String caName, int count, ClientAuth clientAuth,
      SecurityConfig security, ServerLimits limits) throws Exception {
    CertificateAuthority ca = CertificateAuthority.create(caName, Duration.ofDays(1));
    ca.writeCertificate(dir.resolve("ca.pem"));
    ca.issue("broker", List.of("localhost"), Duration.ofDays(1)).write(dir.resolve("broker.pem"),
        dir.resolve("broker-key.pem"));
    // Two ports a broker: its listener, then its quorum member.
    int[] ports = freePorts(2 * count);
    List<QuorumVoter> voters = new ArrayList<>();
    for (int id = 1; id <= count; id++) {
      voters.add(new QuorumVoter(id, "localhost", ports[2 * (id - 1) + 1]));
    }
    SecureTestBrokers started = new SecureTestBrokers(ca, new ArrayList<>());
    try {
      for (int id = 1; id <= count; id++) {
        HostPort address = new HostPort("localhost", ports[2 * (id - 1)]);
        started.brokers.add(SkeinBroker.start(BrokerConfig.builder(id, dir.resolve("broker-" + id))
            .listen(address, address)
            .quorum(List.copyOf(voters), new HostPort("localhost", ports[2 * (id - 1) + 1]))
            // Every topic on every broker by default, so replication crosses TLS and the broker principal.
            .topicDefaults(1, count, dev.skein.storage.log.LogConfig.DEFAULT)
            .tls(TlsConfig.of(dir.resolve("broker.pem"), dir.resolve("broker-key.pem"), dir.resolve("ca.pem"))
                .withClientAuth(clientAuth))
            .security(security)
            .limits(limits)
            .build()));
      }
      CompletableFuture.allOf(started.brokers.stream().map(SkeinBroker::ready).toArray(CompletableFuture[]::new))
          .get(60, TimeUnit.SECONDS);
      return started;
    } catch (Exception e) {
      started.close();
      throw e;
    }
  }

  /** Stops every broker as a crash would: the tests are over (see TestCluster.close). */
  @Override
  public void close() {
    brokers.parallelStream().forEach(SkeinBroker::crash);
  }
}
