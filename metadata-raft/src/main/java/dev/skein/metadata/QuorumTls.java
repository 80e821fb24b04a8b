package dev.skein.metadata;

import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;

/**
 * TLS for the Raft port: every member presents {@code keyManager}'s certificate, both as a
 * server and when it calls other members, and accepts only peers whose certificate
 * {@code trustManager} trusts. Mutual TLS is always on: a process without a broker
 * certificate must not be able to vote, append entries or read the metadata log.
 *
 * <p>The managers are JDK types (Ratis shades its own gRPC and Netty), so a broker can hand in
 * managers that reload their files from disk; every new connection then sees the new files.
 */
public record QuorumTls(KeyManager keyManager, TrustManager trustManager) {

  public QuorumTls {
    Objects.requireNonNull(keyManager, "keyManager");
    Objects.requireNonNull(trustManager, "trustManager");
  }
}
