package dev.skein.client;

import dev.skein.client.internal.ConfigReader;
import dev.skein.rpc.Scram;
import java.util.Objects;
import java.util.Set;

/**
 * How a client authenticates without a certificate, by Kafka's names: {@code sasl.mechanism}
 * (SCRAM-SHA-512, the only one), {@code sasl.username} and {@code sasl.password}. With a mechanism
 * the client runs the SCRAM exchange with each broker before its first call there and sends the
 * token it gets on every call. {@code security.protocol=SASL_SSL} is SSL with this;
 * {@code SASL_PLAINTEXT} runs it without TLS, which brokers refuse unless started with
 * {@code --scram-allow-plaintext}.
 *
 * @param mechanism empty for none
 */
public record ClientSasl(String mechanism, String username, String password) {

  public static final ClientSasl NONE = new ClientSasl("", "", "");

  static final Set<String> KEYS = Set.of("sasl.mechanism", "sasl.username", "sasl.password");

  public ClientSasl {
    Objects.requireNonNull(mechanism, "mechanism");
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    if (!mechanism.isEmpty() && !mechanism.equals(Scram.MECHANISM)) {
      throw new IllegalArgumentException("sasl.mechanism must be " + Scram.MECHANISM + ", got '" + mechanism + "'");
    }
    if (!mechanism.isEmpty() && (username.isEmpty() || password.isEmpty())) {
      throw new IllegalArgumentException("sasl.mechanism=" + mechanism + " needs sasl.username and sasl.password");
    }
  }

  public boolean enabled() {
    return !mechanism.isEmpty();
  }

  static ClientSasl read(ConfigReader reader, String protocol) {
    String mechanism = reader.string("sasl.mechanism", "").toUpperCase(java.util.Locale.ROOT);
    ClientSasl sasl = new ClientSasl(mechanism, reader.string("sasl.username", ""), reader.untrimmed("sasl.password", ""));
    if (protocol.startsWith("sasl_") && !sasl.enabled()) {
      throw new IllegalArgumentException("security.protocol=" + protocol.toUpperCase(java.util.Locale.ROOT)
          + " needs sasl.mechanism=" + Scram.MECHANISM + ", sasl.username and sasl.password");
    }
    if (!protocol.startsWith("sasl_") && sasl.enabled()) {
      throw new IllegalArgumentException("sasl.mechanism needs security.protocol=SASL_SSL (or SASL_PLAINTEXT)");
    }
    return sasl;
  }

  /** Never the password. */
  @Override
  public String toString() {
    return "ClientSasl[mechanism=" + mechanism + ", username=" + username + ", password=" + (password.isEmpty()
        ? "" : "(hidden)") + "]";
  }
}
