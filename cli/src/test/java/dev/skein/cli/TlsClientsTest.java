package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.broker.HostPort;
import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.tls.ClientAuth;
import dev.skein.broker.tls.TlsConfig;
import dev.skein.cli.console.ConsoleServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line and the Node.js example against three brokers with TLS on every port and
 * client certificates required, using the files {@code skein dev --tls} makes.
 */
class TlsClientsTest {

  @TempDir
  static Path dir;
  static TestCluster cluster;
  static DevCertificates files;

  @BeforeAll
  static void start() {
    NodeClientExampleTest.prepareNode();
    files = DevCertificates.createIfMissing(dir.resolve("tls"));
    cluster = TestCluster.startWithTls(dir.resolve("cluster"), 3,
        TlsConfig.of(files.brokerCertificate(), files.brokerKey(), files.ca()).withClientAuth(ClientAuth.REQUIRED));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static List<String> tlsOptions() {
    return List.of("--bootstrap", cluster.bootstrap(), "--ssl-ca-location", files.ca().toString(),
        "--ssl-certificate-location", files.clientCertificate().toString(),
        "--ssl-key-location", files.clientKey().toString());
  }

  static SkeinCliTest.Run skein(String stdin, List<String> options, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(options);
    return SkeinCliTest.skein(Map.of(), stdin, all.toArray(String[]::new));
  }

  @Test
  void theCommandLineProducesAndConsumesOverMutualTls() {
    SkeinCliTest.Run created = skein("", tlsOptions(), "topic", "create", "--topic", "tls-cli", "--partitions", "2",
        "--replication-factor", "3");
    assertThat(created.code()).as(created.err()).isZero();
    SkeinCliTest.Run produced = skein("a\nb\nc\n", tlsOptions(), "produce", "--topic", "tls-cli", "--acks", "all");
    assertThat(produced.code()).as(produced.err()).isZero();
    SkeinCliTest.Run consumed = skein("", tlsOptions(), "consume", "--topic", "tls-cli", "--from-beginning",
        "--max-messages", "3");
    assertThat(consumed.code()).as(consumed.err()).isZero();
    assertThat(consumed.lines()).containsExactlyInAnyOrder("a", "b", "c");
  }

  @Test
  void theCommandLineSaysInOneLineWhatIsWrong() {
    // The cluster's CA, but no client certificate.
    SkeinCliTest.Run noCertificate = skein("", List.of("--bootstrap", cluster.bootstrap(), "--ssl-ca-location",
        files.ca().toString(), "--request-timeout-ms", "5000"), "topic", "list");
    assertThat(noCertificate.code()).isEqualTo(1);
    assertThat(noCertificate.err().strip()).doesNotContain("\n")
        .contains("TLS handshake failed: the broker requires a client certificate (set ssl.certificate.location");
    // Another CA.
    Path otherCa = DevCertificates.createIfMissing(dir.resolve("other")).ca();
    SkeinCliTest.Run wrongCa = skein("", List.of("--bootstrap", cluster.bootstrap(), "--ssl-ca-location",
        otherCa.toString(), "--request-timeout-ms", "5000"), "topic", "list");
    assertThat(wrongCa.code()).isEqualTo(1);
    assertThat(wrongCa.err().strip()).doesNotContain("\n")
        .contains("TLS handshake failed: certificate not trusted (is ssl.ca.location the cluster's CA?)");
    // Plaintext.
    SkeinCliTest.Run plaintext = skein("", List.of("--bootstrap", cluster.bootstrap(), "--request-timeout-ms", "5000"),
        "topic", "list");
    assertThat(plaintext.code()).isEqualTo(1);
    assertThat(plaintext.err().strip()).doesNotContain("\n").contains("set security.protocol=SSL");
  }

  @Test
  void theNodeExampleWritesAndReadsOverMutualTls() {
    NodeClientExampleTest.Run run = node("--topic", "tls-node", "--replication-factor", "3",
        "--ssl-ca-location", files.ca().toString(),
        "--ssl-certificate-location", files.clientCertificate().toString(),
        "--ssl-key-location", files.clientKey().toString());
    assertThat(run.code()).as(run.out()).isZero();
    assertThat(run.lines()).last().isEqualTo("Verified: 9 records read back (keys, values, headers, offsets) "
        + "from 3 partitions, by Fetch and by Subscribe");
  }

  @Test
  void theNodeExampleWithoutTheClusterCaFails() {
    NodeClientExampleTest.Run run = node("--topic", "tls-node-refused",
        "--ssl-ca-location", DevCertificates.createIfMissing(dir.resolve("other-node")).ca().toString(),
        "--ssl-certificate-location", files.clientCertificate().toString(),
        "--ssl-key-location", files.clientKey().toString());
    assertThat(run.code()).as(run.out()).isEqualTo(1);
    assertThat(run.lines()).last().asString().startsWith("FAILED: UNAVAILABLE")
        .endsWith("(TLS: certificate not trusted; is --ssl-ca-location the cluster's CA?)");
  }

  @Test
  void theWebConsoleReadsAClusterThatRequiresClientCertificates() throws Exception {
    // The console connects as the broker command sets it up: with the broker's own certificate.
    try (ConsoleServer console = ConsoleServer.start(new HostPort("localhost", 0),
        BrokerCommand.consoleClientSettings(cluster.broker(1).config()), false, 1, ConsoleServer.LIVE_INTERVAL)) {
      HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://localhost:" + console.port() + "/api/cluster")).build(), BodyHandlers.ofString());
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      assertThat(answer.body()).contains("\"brokers\"").contains(cluster.address(2).toString());
    }
  }

  static NodeClientExampleTest.Run node(String... args) {
    List<String> command = new ArrayList<>(List.of("node", "client.js", "--bootstrap", cluster.bootstrap()));
    command.addAll(List.of(args));
    NodeClientExampleTest.Run result = NodeClientExampleTest.run(java.time.Duration.ofMinutes(2),
        command.toArray(String[]::new));
    System.out.println("$ " + String.join(" ", command) + "\n" + result.out());
    return result;
  }
}
