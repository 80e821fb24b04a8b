package dev.skein.broker.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsCredentialsTest {

  @TempDir
  Path dir;
  CertificateAuthority ca;
  TlsConfig config;

  @BeforeEach
  void files() {
    ca = CertificateAuthority.create("test-ca", Duration.ofDays(1));
    ca.writeCertificate(dir.resolve("ca.pem"));
    config = TlsConfig.of(dir.resolve("broker.pem"), dir.resolve("broker-key.pem"), dir.resolve("ca.pem"))
        .withRefreshInterval(Duration.ofMillis(50));
  }

  @Test
  void aRotatedPairIsServedWithinTheRefreshInterval() {
    CertificateAuthority.Issued first = issue("first");
    first.write(config.certificateChain(), config.privateKey());
    try (TlsCredentials credentials = TlsCredentials.load(config, "test")) {
      assertThat(credentials.servedCertificate().getSerialNumber()).isEqualTo(first.serial());
      CertificateAuthority.Issued second = issue("second");
      second.write(config.certificateChain(), config.privateKey());
      // Far below grpc-java's own one-minute floor for file watching.
      await().atMost(Duration.ofSeconds(5))
          .until(() -> credentials.servedCertificate().getSerialNumber().equals(second.serial()));
    }
  }

  @Test
  void aKeyThatDoesNotMatchItsCertificateIsNotServedAndThePreviousPairStays() {
    CertificateAuthority.Issued first = issue("first");
    first.write(config.certificateChain(), config.privateKey());
    try (TlsCredentials credentials = TlsCredentials.load(config, "test")) {
      CertificateAuthority.Issued second = issue("second");
      // Half a rotation: the new key beside the old certificate.
      second.write(dir.resolve("unused.pem"), config.privateKey());
      // Six refresh intervals and more: every check sees the mismatched pair and keeps the first.
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
          .until(() -> credentials.servedCertificate().getSerialNumber().equals(first.serial())
              && credentials.servedKey().equals(first.key()));
      // The rotation completed with a matching pair is picked up.
      CertificateAuthority.Issued third = issue("third");
      third.write(config.certificateChain(), config.privateKey());
      await().atMost(Duration.ofSeconds(5))
          .until(() -> credentials.servedCertificate().getSerialNumber().equals(third.serial())
              && credentials.servedKey().equals(third.key()));
    }
  }

  @Test
  void aMismatchedPairFailsTheStartWithBothFileNames() {
    issue("first").write(config.certificateChain(), dir.resolve("first-key.pem"));
    issue("second").write(dir.resolve("second.pem"), config.privateKey());
    assertThatThrownBy(() -> TlsCredentials.load(config, "test"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("broker-key.pem does not belong to the certificate")
        .hasMessageContaining("broker.pem");
  }

  private CertificateAuthority.Issued issue(String name) {
    return ca.issue(name, List.of("localhost"), Duration.ofDays(1));
  }
}
