package dev.skein.cli;

import static dev.skein.broker.cluster.TestCluster.freePorts;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.broker.BrokerConfig;
import dev.skein.broker.HostPort;
import dev.skein.broker.SkeinBroker;
import dev.skein.broker.auth.SecurityConfig;
import dev.skein.broker.tls.ClientAuth;
import dev.skein.broker.tls.TlsConfig;
import dev.skein.metadata.QuorumVoter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line against a TLS broker with --authentication=scram and --require-authentication:
 * an admin with a certificate creates a user, and the user works with --sasl-* options alone.
 */
class ScramClientsTest {

  @TempDir
  static Path dir;
  static DevCertificates files;
  static SkeinBroker broker;

  @BeforeAll
  static void start() throws Exception {
    files = DevCertificates.createIfMissing(dir.resolve("tls"));
    int[] ports = freePorts(2);
    HostPort address = new HostPort("localhost", ports[0]);
    broker = SkeinBroker.start(BrokerConfig.builder(1, dir.resolve("broker"))
        .listen(address, address)
        .quorum(List.of(new QuorumVoter(1, "localhost", ports[1])), new HostPort("localhost", ports[1]))
        .topicDefaults(1, 1, dev.skein.storage.log.LogConfig.DEFAULT)
        .tls(TlsConfig.of(files.brokerCertificate(), files.brokerKey(), files.ca()).withClientAuth(ClientAuth.REQUESTED))
        .security(SecurityConfig.DEFAULT.withAuthentication(
            new SecurityConfig.Authentication(true, true, false, Duration.ofHours(1))))
        .build());
    broker.ready().get(60, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.stopWithoutHandoff();
    }
  }

  static SkeinCliTest.Run skein(String stdin, List<String> options, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--bootstrap", "localhost:" + broker.port(), "--ssl-ca-location", files.ca().toString(),
        "--request-timeout-ms", "10000"));
    all.addAll(options);
    return SkeinCliTest.skein(Map.of(), stdin, all.toArray(String[]::new));
  }

  static List<String> admin() {
    return List.of("--ssl-certificate-location", files.clientCertificate().toString(), "--ssl-key-location",
        files.clientKey().toString());
  }

  @Test
  void aUserCreatedByTheAdminWorksWithItsPasswordOnly() throws Exception {
    SkeinCliTest.Run created = skein("dana-secret\n", admin(), "user", "create", "--name", "dana");
    assertThat(created.code()).as(created.err()).isZero();
    Path password = dir.resolve("dana.pw");
    Files.writeString(password, "dana-secret\n");

    SkeinCliTest.Run topic = skein("", List.of("--sasl-username", "dana", "--sasl-password-file", password.toString()),
        "topic", "create", "--topic", "scram-cli");
    assertThat(topic.code()).as(topic.err()).isZero();
    SkeinCliTest.Run listed = SkeinCliTest.skein(Map.of("SKEIN_SASL_PASSWORD", "dana-secret"), "", "topic", "list",
        "--bootstrap", "localhost:" + broker.port(), "--ssl-ca-location", files.ca().toString(),
        "--sasl-username", "dana");
    assertThat(listed.code()).as(listed.err()).isZero();
    assertThat(listed.out()).contains("scram-cli");

    SkeinCliTest.Run wrong = skein("", List.of("--sasl-username", "dana", "--sasl-password", "guessed-password"),
        "topic", "list");
    assertThat(wrong.code()).isNotZero();
    assertThat(wrong.err()).contains("invalid SCRAM-SHA-512 credentials").doesNotContain("guessed-password");
    SkeinCliTest.Run anonymous = skein("", List.of(), "topic", "list");
    assertThat(anonymous.code()).isNotZero();
    assertThat(anonymous.err()).contains("this broker requires authentication");
  }
}
