package dev.skein.client;

import dev.skein.client.internal.ConfigReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * How a client secures its connections, by Kafka's and librdkafka's names.
 *
 * @param enabled {@code security.protocol}: PLAINTEXT (default), SSL, or SASL_SSL (SSL with {@link ClientSasl})
 * @param caLocation {@code ssl.ca.location}: PEM file of the CA certificates that sign the
 *     brokers' certificates; without it the JDK's default trust store is used
 * @param certificateLocation {@code ssl.certificate.location}: this client's PEM certificate
 *     chain, for brokers that ask for one (mutual TLS)
 * @param keyLocation {@code ssl.key.location}: its PKCS#8 PEM private key, unencrypted
 */
public record ClientTls(boolean enabled, Optional<Path> caLocation, Optional<Path> certificateLocation,
    Optional<Path> keyLocation) {

  public static final ClientTls PLAINTEXT = new ClientTls(false, Optional.empty(), Optional.empty(), Optional.empty());

  static final Set<String> KEYS = Set.of("security.protocol", "ssl.ca.location", "ssl.certificate.location",
      "ssl.key.location");

  public ClientTls {
    if (certificateLocation.isPresent() != keyLocation.isPresent()) {
      throw new IllegalArgumentException("ssl.certificate.location and ssl.key.location go together: give both or neither");
    }
    if (!enabled && (caLocation.isPresent() || certificateLocation.isPresent())) {
      throw new IllegalArgumentException("ssl.* settings need security.protocol=SSL");
    }
    caLocation.ifPresent(p -> requireReadable("ssl.ca.location", p));
    certificateLocation.ifPresent(p -> requireReadable("ssl.certificate.location", p));
    keyLocation.ifPresent(p -> requireReadable("ssl.key.location", p));
  }

  static ClientTls read(ConfigReader reader) {
    String protocol = protocol(reader);
    return new ClientTls(protocol.endsWith("ssl"), path(reader, "ssl.ca.location"),
        path(reader, "ssl.certificate.location"), path(reader, "ssl.key.location"));
  }

  /** security.protocol: plaintext, ssl, sasl_ssl or sasl_plaintext (lower case). */
  static String protocol(ConfigReader reader) {
    return reader.choice("security.protocol", "plaintext", Set.of("plaintext", "ssl", "sasl_ssl", "sasl_plaintext"));
  }

  private static Optional<Path> path(ConfigReader reader, String key) {
    String value = reader.string(key, null);
    return value == null || value.isEmpty() ? Optional.empty() : Optional.of(Path.of(value));
  }

  private static void requireReadable(String key, Path file) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(key + " " + file + " is not a readable file");
    }
  }
}
