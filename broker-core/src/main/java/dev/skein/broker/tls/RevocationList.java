package dev.skein.broker.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRL;
import java.security.cert.CRLReason;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateRevokedException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Certificates that a trusted CA signed but has since withdrawn: the certificate revocation lists
 * of {@code --tls-crl-file}. A peer presenting a listed certificate (its own or an intermediate) is
 * refused during the handshake, on every port, as soon as the file is read again.
 *
 * <p>The lists are read from a file rather than fetched from the distribution points named in
 * certificates: a broker may reach no CA server, and a file is what operators already rotate with
 * the certificates. Each list must be signed by a CA of the trust bundle, so that a file someone
 * could write cannot be used to pass off anything but revocations of that CA's own certificates.
 */
final class RevocationList {

  private static final Logger log = LoggerFactory.getLogger(RevocationList.class);

  static final RevocationList NONE = new RevocationList(List.of());

  private final List<X509CRL> lists;

  private RevocationList(List<X509CRL> lists) {
    this.lists = List.copyOf(lists);
  }

  /** Reads every PEM (or DER) CRL in {@code file} and checks each against the trust bundle. */
  static RevocationList read(Path file, X509Certificate[] trusted) throws IOException, GeneralSecurityException {
    Collection<? extends CRL> read;
    try (InputStream in = Files.newInputStream(file)) {
      read = CertificateFactory.getInstance("X.509").generateCRLs(in);
    }
    if (read.isEmpty()) {
      throw new GeneralSecurityException(file + " holds no certificate revocation list");
    }
    List<X509CRL> lists = new ArrayList<>();
    for (CRL crl : read) {
      X509CRL list = (X509CRL) crl;
      requireSignedByTrustedCa(list, trusted, file);
      if (list.getNextUpdate() != null && list.getNextUpdate().before(new Date())) {
        // A stale list still names certificates that must not be accepted; refusing every
        // handshake instead would take the cluster down for a late CRL.
        log.warn("the revocation list of {} in {} was due for an update on {}; still applying it",
            list.getIssuerX500Principal(), file, list.getNextUpdate().toInstant());
      }
      lists.add(list);
    }
    return new RevocationList(lists);
  }

  private static void requireSignedByTrustedCa(X509CRL list, X509Certificate[] trusted, Path file)
      throws GeneralSecurityException {
    for (X509Certificate ca : trusted) {
      if (!ca.getSubjectX500Principal().equals(list.getIssuerX500Principal())) {
        continue;
      }
      try {
        list.verify(ca.getPublicKey());
        return;
      } catch (GeneralSecurityException notThisKey) {
        // Another CA of the bundle may share the name (a CA key rotation): try the next one.
      }
    }
    throw new GeneralSecurityException("the revocation list in " + file + " issued by "
        + list.getIssuerX500Principal() + " is not signed by a CA of the trust bundle");
  }

  /** Fails if a certificate of the presented chain is listed by the CA that issued it. */
  void check(X509Certificate[] chain) throws CertificateException {
    for (X509Certificate certificate : chain) {
      for (X509CRL list : lists) {
        if (!list.getIssuerX500Principal().equals(certificate.getIssuerX500Principal())) {
          continue;
        }
        X509CRLEntry entry = list.getRevokedCertificate(certificate);
        if (entry != null) {
          // This exception type is what makes the TLS engine send the peer a certificate_revoked alert.
          throw new Revoked(certificate, entry, list);
        }
      }
    }
  }

  /** A revocation, with a message naming the certificate (the JDK's own message does not). */
  static final class Revoked extends CertificateRevokedException {

    private final String message;

    Revoked(X509Certificate certificate, X509CRLEntry entry, X509CRL list) {
      super(entry.getRevocationDate(), entry.getRevocationReason() == null ? CRLReason.UNSPECIFIED
          : entry.getRevocationReason(), list.getIssuerX500Principal(), Map.of());
      this.message = "certificate " + certificate.getSubjectX500Principal() + " (serial "
          + certificate.getSerialNumber().toString(16) + ") was revoked by " + list.getIssuerX500Principal()
          + " on " + entry.getRevocationDate().toInstant() + " (" + getRevocationReason() + ")";
    }

    @Override
    public String getMessage() {
      return message;
    }
  }

  int size() {
    return lists.stream().mapToInt(l -> l.getRevokedCertificates() == null ? 0 : l.getRevokedCertificates().size())
        .sum();
  }
}
