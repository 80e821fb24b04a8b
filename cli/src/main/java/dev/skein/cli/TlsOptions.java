package dev.skein.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** How a command connects to brokers: the client's {@code security.protocol} and {@code ssl.*} settings. */
final class TlsOptions {

  @Option(names = "--security-protocol", defaultValue = "PLAINTEXT", paramLabel = "PLAINTEXT|SSL|SASL_SSL",
      description = "SSL to connect with TLS, SASL_SSL to also authenticate with SCRAM-SHA-512 (security.protocol). "
          + "Default: ${DEFAULT-VALUE}; SSL when --ssl-ca-location is given, SASL_SSL when --sasl-username is too.")
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

  @Option(names = "--sasl-mechanism", defaultValue = "SCRAM-SHA-512", paramLabel = "SCRAM-SHA-512",
      description = "With --sasl-username: how to authenticate (sasl.mechanism). Default: ${DEFAULT-VALUE}.")
  String saslMechanism;

  @Option(names = "--sasl-username", paramLabel = "NAME",
      description = "Authenticate as this user with SCRAM-SHA-512 (sasl.username).")
  String saslUsername;

  @Option(names = "--sasl-password-file", paramLabel = "FILE",
      description = "A file whose first line is the user's password (sasl.password).")
  Path saslPasswordFile;

  @Option(names = "--sasl-password", paramLabel = "PASSWORD",
      description = "The user's password (sasl.password). A command line is visible to other local users: prefer "
          + "--sasl-password-file or the environment variable SKEIN_SASL_PASSWORD.")
  String saslPassword;

  Map<String, String> settings() {
    Map<String, String> settings = new HashMap<>();
    boolean tls = securityProtocol.equalsIgnoreCase("SSL") || securityProtocol.equalsIgnoreCase("SASL_SSL")
        || caLocation != null || certificateLocation != null;
    boolean sasl = saslUsername != null || securityProtocol.toUpperCase(java.util.Locale.ROOT).startsWith("SASL_");
    if (sasl) {
      settings.put("security.protocol", tls ? "SASL_SSL" : "SASL_PLAINTEXT");
      settings.put("sasl.mechanism", saslMechanism);
      settings.put("sasl.username", saslUsername == null ? "" : saslUsername);
      settings.put("sasl.password", password());
    }
    if (!tls) {
      return settings;
    }
    settings.putIfAbsent("security.protocol", "SSL");
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

  private String password() {
    if (saslPasswordFile == null) {
      return saslPassword == null ? "" : saslPassword;
    }
    try (java.io.BufferedReader in = java.nio.file.Files.newBufferedReader(saslPasswordFile,
        java.nio.charset.StandardCharsets.UTF_8)) {
      String line = in.readLine();
      return line == null ? "" : line;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cannot read --sasl-password-file " + saslPasswordFile + ": " + e.getMessage(),
          e);
    }
  }
}
