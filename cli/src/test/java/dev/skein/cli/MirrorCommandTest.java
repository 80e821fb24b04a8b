package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.tls.CertificateAuthority;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.SkeinProducer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** skein mirror create|list|describe|pause|resume|promote|delete, as a user would type them. */
class MirrorCommandTest {

  @TempDir
  static Path dir;
  static TestCluster source;
  static TestCluster destination;

  @BeforeAll
  static void start() {
    source = TestCluster.start(dir.resolve("source"), 1);
    destination = TestCluster.start(dir.resolve("destination"), 1);
    source.admin().createTopic(NewTopic.of("cli-mirror", 2, 1));
    SkeinProducer producer = source.producer(Map.of());
    for (int i = 0; i < 20; i++) {
      producer.send(ProducerRecord.of("cli-mirror", null, "r" + i).withPartition(i % 2));
    }
    producer.flush();
  }

  @AfterAll
  static void stop() {
    destination.close();
    source.close();
  }

  static SkeinCliTest.Run skein(String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--bootstrap";
    all[args.length + 1] = destination.bootstrap();
    return SkeinCliTest.skein("", all);
  }

  @Test
  void createDescribePromoteAndDelete() {
    SkeinCliTest.Run created = skein("mirror", "create", "--link", "dr", "--source", source.bootstrap(),
        "--topic", "cli-mirror", "--sync-interval-ms", "300");
    assertThat(created.code()).as(created.err()).isZero();
    assertThat(created.lines()).containsExactly("Created mirror link dr");

    SkeinCliTest.Run listed = skein("mirror", "list");
    assertThat(listed.lines().get(0).split("\\s+")).containsExactly("LINK", "SOURCE", "STATE", "TOPICS");
    assertThat(listed.lines().get(1)).startsWith("dr").contains("RUNNING");

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      SkeinCliTest.Run described = skein("mirror", "describe", "--link", "dr");
      assertThat(described.code()).as(described.err()).isZero();
      assertThat(described.lines()).contains("Topic cli-mirror: MIRRORING");
      assertThat(described.lines()).anySatisfy(line -> assertThat(line.split("\\s+"))
          .startsWith("cli-mirror", "0", "10", "10", "0", "0", "MIRRORING"));
    });

    assertThat(skein("mirror", "pause", "--link", "dr").lines()).containsExactly("Paused mirror link dr");
    assertThat(skein("mirror", "describe", "--link", "dr").lines()).contains("Topic cli-mirror: PAUSED");
    assertThat(skein("mirror", "resume", "--link", "dr").code()).isZero();

    SkeinCliTest.Run promoted = skein("mirror", "promote", "--link", "dr", "--topic", "cli-mirror");
    assertThat(promoted.code()).as(promoted.err()).isZero();
    assertThat(promoted.lines()).containsExactly("Promoted cli-mirror");
    assertThat(skein("mirror", "describe", "--link", "dr").lines()).contains("Topic cli-mirror: PROMOTED");

    assertThat(skein("mirror", "delete", "--link", "dr").lines()).containsExactly("Deleted mirror link dr");
    assertThat(skein("mirror", "list").lines()).hasSize(1);
  }

  @Test
  void badInputGetsAClearMessage() {
    SkeinCliTest.Run unknown = skein("mirror", "describe", "--link", "no-such-link");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).contains("NOT_FOUND").contains("mirror link 'no-such-link' does not exist");

    SkeinCliTest.Run badRegex = skein("mirror", "create", "--link", "bad", "--source", "localhost:1",
        "--include", "(oops");
    assertThat(badRegex.code()).isEqualTo(1);
    assertThat(badRegex.err()).contains("INVALID_ARGUMENT").contains("does not compile");

    SkeinCliTest.Run noTopics = skein("mirror", "create", "--link", "bad", "--source", "localhost:1");
    assertThat(noTopics.code()).isEqualTo(1);
    assertThat(noTopics.err()).contains("needs topics to mirror");

    SkeinCliTest.Run missingCa = skein("mirror", "create", "--link", "bad", "--source", "localhost:1",
        "--topic", "t", "--source-ssl-ca-location", "/no/such/ca.pem");
    assertThat(missingCa.code()).isEqualTo(1);
    assertThat(missingCa.err()).contains("--source-ssl-ca-location /no/such/ca.pem is not a readable file");

    SkeinCliTest.Run badProtocol = skein("mirror", "create", "--link", "bad", "--source", "localhost:1",
        "--topic", "t", "--source-security-protocol", "SASL_SSL");
    assertThat(badProtocol.code()).isEqualTo(1);
    assertThat(badProtocol.err()).contains("--source-security-protocol must be PLAINTEXT or SSL, got SASL_SSL");
  }

  @Test
  void aSourceCaFileIsStoredAsPlainPemCertificates(@TempDir Path dir) throws Exception {
    Path notACa = dir.resolve("not-a-ca.pem");
    Files.writeString(notACa, "hello");
    SkeinCliTest.Run refused = skein("mirror", "create", "--link", "bad-ca", "--source", "localhost:1",
        "--topic", "t", "--source-ssl-ca-location", notACa.toString());
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains("--source-ssl-ca-location " + notACa + " is not a PEM certificate bundle");

    // A bundle with comments in UTF-8, as distributions ship them: only the certificates are kept.
    CertificateAuthority ca = CertificateAuthority.create("source-ca",
        Duration.ofDays(1));
    ca.writeCertificate(dir.resolve("ca.pem"));
    Path bundle = dir.resolve("bundle.pem");
    Files.writeString(bundle, "# Zertifikatsbündel für Tests — ünïcode\n" + Files.readString(dir.resolve("ca.pem")),
        StandardCharsets.UTF_8);
    String pem = MirrorCommand.pemCertificates(bundle);
    assertThat(pem).startsWith("-----BEGIN CERTIFICATE-----\n").doesNotContain("#");
    List<Certificate> parsed = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(
            new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))));
    assertThat(parsed).containsExactly(ca.certificate());
  }
}
