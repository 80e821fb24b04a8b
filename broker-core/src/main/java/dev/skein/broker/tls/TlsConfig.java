package dev.skein.broker.tls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A broker's TLS files, all PEM. They serve the client port (which also carries replication)
 * and the Raft port, and the broker presents the same certificate when it calls other brokers,
 * so the certificate needs both the serverAuth and clientAuth uses (or none) and names for every
 * address other brokers and clients use.
 *
 * @param certificateChain the broker's certificate, then any intermediates ({@code --tls-cert-file})
 * @param privateKey its PKCS#8 private key, unencrypted ({@code --tls-key-file})
 * @param trustBundle the CA certificates that sign brokers' and clients' certificates ({@code --tls-ca-file})
 * @param clientAuth whether clients of the client port must present a certificate
 * @param refreshInterval how often the files are checked for changes; changed files are used for
 *     every handshake after the check, with no restart
 * @param revocationList certificate revocation lists (PEM, one or more) signed by CAs of the trust
 *     bundle: certificates they list are refused ({@code --tls-crl-file}); null for none
 */
public record TlsConfig(Path certificateChain, Path privateKey, Path trustBundle, ClientAuth clientAuth,
    Duration refreshInterval, Path revocationList) {

  public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofSeconds(60);

  public TlsConfig {
    Objects.requireNonNull(certificateChain, "certificateChain");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(trustBundle, "trustBundle");
    Objects.requireNonNull(clientAuth, "clientAuth");
    if (refreshInterval == null || refreshInterval.isNegative() || refreshInterval.isZero()) {
      throw new IllegalArgumentException("the TLS refresh interval must be positive, got " + refreshInterval);
    }
  }

  public static TlsConfig of(Path certificateChain, Path privateKey, Path trustBundle) {
    return new TlsConfig(certificateChain, privateKey, trustBundle, ClientAuth.NONE, DEFAULT_REFRESH_INTERVAL,
        null);
  }

  public TlsConfig withClientAuth(ClientAuth value) {
    return new TlsConfig(certificateChain, privateKey, trustBundle, value, refreshInterval, revocationList);
  }

  public TlsConfig withRefreshInterval(Duration value) {
    return new TlsConfig(certificateChain, privateKey, trustBundle, clientAuth, value, revocationList);
  }

  public TlsConfig withRevocationList(Path value) {
    return new TlsConfig(certificateChain, privateKey, trustBundle, clientAuth, refreshInterval, value);
  }

  /** The files read at start and watched for changes: key, chain, trust bundle, and the CRL file if any. */
  public List<Path> files() {
    return revocationList == null ? List.of(privateKey, certificateChain, trustBundle)
        : List.of(privateKey, certificateChain, trustBundle, revocationList);
  }

  /** Fails with the option's name when a file is missing, before any port opens. */
  public void requireReadable() {
    requireReadable("--tls-cert-file", certificateChain);
    requireReadable("--tls-key-file", privateKey);
    requireReadable("--tls-ca-file", trustBundle);
    if (revocationList != null) {
      requireReadable("--tls-crl-file", revocationList);
    }
  }

  private static void requireReadable(String option, Path file) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(option + " " + file + " is not a readable file");
    }
  }
}
