package dev.skein.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** How a command connects to brokers: the client's {@code security.protocol} and {@code ssl.*} settings. */
final class TlsOptions {

  @Option(names = "--security-protocol", defaultValue = "PLAINTEXT", paramLabel = "PLAINTEXT|SSL",
      description = "SSL to connect with TLS (security.protocol). Default: ${DEFAULT-VALUE}; SSL when "
          + "--ssl-ca-location is given.")
  String securityProtocol;

  @Option(names = "--ssl-ca-location", paramLabel = "PEM",
      description = "CA certificates that sign the brokers' certificates (ssl.ca.location).")
  Path caLocation;

  @Option(names = "--ssl-certificate-location", paramLabel = "PEM",
      description = "This client's certificate, for brokers that require one (ssl.certificate.location).")
  Path certificateLocation;

  @Option(names = "--ssl-key-location", paramLabel = "PEM",
      description = "Its private key, PKCS#8 PEM (ssl.key.location).")
  Path keyLocation;

  Map<String, String> settings() {
    Map<String, String> settings = new HashMap<>();
    boolean tls = securityProtocol.equalsIgnoreCase("SSL") || caLocation != null || certificateLocation != null;
    if (!tls) {
      return settings;
    }
    settings.put("security.protocol", "SSL");
    if (caLocation != null) {
      settings.put("ssl.ca.location", caLocation.toString());
    }
    if (certificateLocation != null) {
      settings.put("ssl.certificate.location", certificateLocation.toString());
    }
    if (keyLocation != null) {
      settings.put("ssl.key.location", keyLocation.toString());
    }
    return settings;
  }
}
