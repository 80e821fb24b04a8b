package dev.skein.broker.tls;

import java.util.Locale;

/** Whether the client port asks clients for a certificate ({@code --tls-client-auth}). */
public enum ClientAuth {
  /** Clients need no certificate; one offered is still checked (brokers offer theirs for replication). */
  NONE,
  /** Same on the wire as NONE today; kept apart so principals from certificates can build on it. */
  REQUESTED,
  /** A client without a certificate the trust bundle accepts cannot connect. */
  REQUIRED;

  public static ClientAuth parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--tls-client-auth must be none, requested or required, got '" + value + "'");
    }
  }
}
