package dev.skein.cli;

import dev.skein.broker.tls.CertificateAuthority;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The throwaway TLS files of {@code skein dev --tls}: a CA, one certificate for every broker
 * (they all run on localhost) and one for a client, valid for a year. Made once and kept, so
 * clients configured with the CA keep working across restarts of the dev cluster.
 */
record DevCertificates(Path ca, Path brokerCertificate, Path brokerKey, Path clientCertificate, Path clientKey) {

  private static final Duration VALIDITY = Duration.ofDays(365);

  static DevCertificates in(Path dir) {
    return new DevCertificates(dir.resolve("ca.pem"), dir.resolve("broker.pem"), dir.resolve("broker-key.pem"),
        dir.resolve("client.pem"), dir.resolve("client-key.pem"));
  }

  /** The files in {@code dir}, made first if any is missing. */
  static DevCertificates createIfMissing(Path dir) {
    DevCertificates files = in(dir);
    if (files.allExist()) {
      return files;
    }
    CertificateAuthority authority = CertificateAuthority.create("skein-dev-ca", VALIDITY);
    authority.issue("skein-dev-broker", List.of("localhost", "127.0.0.1", "::1"), VALIDITY)
        .write(files.brokerCertificate(), files.brokerKey());
    authority.issue("skein-dev-client", List.of(), VALIDITY).write(files.clientCertificate(), files.clientKey());
    // The CA last: its presence says the set is complete. Its key is not kept; make a new set to re-issue.
    authority.writeCertificate(files.ca());
    return files;
  }

  private boolean allExist() {
    return List.of(ca, brokerCertificate, brokerKey, clientCertificate, clientKey).stream().allMatch(Files::isRegularFile);
  }
}
