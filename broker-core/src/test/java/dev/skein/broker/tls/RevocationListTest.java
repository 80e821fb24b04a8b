package dev.skein.broker.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RevocationListTest {

  @TempDir
  Path dir;

  final CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(1));
  final CertificateAuthority other = CertificateAuthority.create("other-ca", Duration.ofDays(1));

  @Test
  void aListedCertificateIsRefusedAndOthersPass() throws Exception {
    CertificateAuthority.Issued revoked = ca.issue("revoked", List.of(), Duration.ofDays(1));
    CertificateAuthority.Issued kept = ca.issue("kept", List.of(), Duration.ofDays(1));
    ca.writeRevocationList(dir.resolve("crl.pem"), List.of(revoked.serial()));

    RevocationList list = RevocationList.read(dir.resolve("crl.pem"), new X509Certificate[] {ca.certificate()});

    assertThat(list.size()).isEqualTo(1);
    assertThatThrownBy(() -> list.check(new X509Certificate[] {revoked.certificate(), ca.certificate()}))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("CN=revoked")
        .hasMessageContaining("serial " + revoked.serial().toString(16))
        .hasMessageContaining("was revoked by CN=test-ca")
        .hasMessageContaining("KEY_COMPROMISE");
    assertThatCode(() -> list.check(new X509Certificate[] {kept.certificate(), ca.certificate()}))
        .doesNotThrowAnyException();
  }

  @Test
  void aListOnlyRevokesCertificatesOfItsOwnIssuer() throws Exception {
    CertificateAuthority.Issued fromOther = other.issue("elsewhere", List.of(), Duration.ofDays(1));
    // The same serial number, listed by a different CA, says nothing about this certificate.
    ca.writeRevocationList(dir.resolve("crl.pem"), List.of(fromOther.serial()));
    RevocationList list = RevocationList.read(dir.resolve("crl.pem"),
        new X509Certificate[] {ca.certificate(), other.certificate()});

    assertThatCode(() -> list.check(new X509Certificate[] {fromOther.certificate()})).doesNotThrowAnyException();
  }

  @Test
  void aListNotSignedByATrustedCaIsRefused() {
    other.writeRevocationList(dir.resolve("crl.pem"), List.of());

    assertThatThrownBy(() -> RevocationList.read(dir.resolve("crl.pem"), new X509Certificate[] {ca.certificate()}))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("issued by CN=other-ca is not signed by a CA of the trust bundle");
  }

  @Test
  void aListSignedByAnotherKeyUnderTheTrustedName() {
    // A forger can copy a CA's name but not its key.
    CertificateAuthority impostor = CertificateAuthority.create("test-ca", Duration.ofDays(1));
    impostor.writeRevocationList(dir.resolve("crl.pem"), List.of());

    assertThatThrownBy(() -> RevocationList.read(dir.resolve("crl.pem"), new X509Certificate[] {ca.certificate()}))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("is not signed by a CA of the trust bundle");
  }

  @Test
  void aFileWithoutAListIsRefused() throws Exception {
    Files.writeString(dir.resolve("crl.pem"), "");

    assertThatThrownBy(() -> RevocationList.read(dir.resolve("crl.pem"), new X509Certificate[] {ca.certificate()}))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("holds no certificate revocation list");
  }
}
